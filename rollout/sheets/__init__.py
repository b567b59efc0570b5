"""The spreadsheet round trip: reading the files people keep, mapping their columns, importing and exporting."""
