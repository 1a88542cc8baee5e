"""The landing page: what needs the logged-in user, gathered from every feature."""
