"""Recognition: the team board of retention attempts and its spreadsheet."""
