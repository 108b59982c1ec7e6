"""File imports: the import service every format goes through, background import jobs, and
reviews and calibration ratings written from files."""
