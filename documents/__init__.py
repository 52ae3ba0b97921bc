"""Official documents: docxtpl templates rendered safely, letter numbers, PDF and Excel.

Nothing here opens a database session: the services of each document
(``services.official_documents``) gather the data, this package turns it into files.
"""
