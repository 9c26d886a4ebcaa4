def hostname(context):
    """A module beside the handler, imported relatively as function authors do."""
    return context.hostname.upper()
