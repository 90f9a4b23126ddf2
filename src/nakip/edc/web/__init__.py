"""Server-rendered web pages of the EDC (thin views over `nakip.edc.services`)."""
