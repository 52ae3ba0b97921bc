"""Services: the only code that writes to the database (and the read models pages use)."""
