"""Official documents: docxtpl templates rendered safely, letter numbers, PDF and Excel.

Nothing here opens a database session: ``services.letters`` gathers the data, this
package turns it into files.
"""
