"""Domain of Layanan Pengaduan: the SOP table, working time, clocks and permissions.

Nothing here imports the UI or the database toolkit, so the rules can be read and tested alone.
"""
