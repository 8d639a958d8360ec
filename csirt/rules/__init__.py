"""The versioned rules table: every deadline and frequency the law sets, as data."""
