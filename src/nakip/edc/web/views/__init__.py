"""The EDC's web pages: thin views that read through `permissions.visible_*` and write through
`nakip.edc.services`. A service error becomes a message or an inline field error, never a 500.
One module per page family; `nakip.edc.web.urls` maps them.
"""
