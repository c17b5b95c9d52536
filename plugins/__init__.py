"""Generator plugins bundled with hwrender (installed as ``hwrender_plugins``)."""
