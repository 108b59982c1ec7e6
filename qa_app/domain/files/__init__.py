"""Reading and writing files: import tables (CSV, XLSX, JSONL), TOML, spreadsheet safety, print
layout and fast XLSX row streams."""
