"""Provincial scoring workbooks: layout, building, reading, merging and scoring on files."""
