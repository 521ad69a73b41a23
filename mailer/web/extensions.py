"""The app's shared Flask extension objects, created once and bound in ``create_app``.

They live here, not in ``app.py``, so a view module that needs one (a CSRF
exemption) imports a leaf module rather than the factory that imports the views.
"""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
