"""The EDC: Django project and app (models, services, edit checks, audit trail, permissions).

Writes happen only through `nakip.edc.services`; pages and the REST API sit on top of them.
"""
