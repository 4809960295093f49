"""The managers' dashboards: a Dash app (``create_app``) with one module per page under ``pages``."""
