def reading_is_public(result, generator, request, public):
    """drf-spectacular hook: reading needs no credentials, so GET and HEAD list none (no lock in the docs)."""
    for operations in result["paths"].values():
        for method in ("get", "head"):
            if method in operations:
                operations[method]["security"] = []
    return result
