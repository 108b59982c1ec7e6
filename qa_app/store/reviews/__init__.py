"""Reviews: the reviewer's queue and workload, submitted reviews, and the transcripts they were
scored on."""
