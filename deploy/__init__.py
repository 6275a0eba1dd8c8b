"""Deployment beyond `make run`: replicas behind nginx on one machine (``python -m deploy.replicas``)."""
