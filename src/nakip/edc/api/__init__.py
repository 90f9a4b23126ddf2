"""REST API of the NAKIP EDC (Django REST framework): thin views over `nakip.edc.services`.

Token or session authentication on every route; reads are limited to the user's sites with
`nakip.edc.permissions`; every error is a JSON body `{"error": ..., "fields": {...}}`.
"""
