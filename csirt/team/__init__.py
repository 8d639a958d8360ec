"""Team: agencies of the constituency, members and their roles."""
