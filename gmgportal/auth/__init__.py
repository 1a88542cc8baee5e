"""Agencies, users, roles, login and the admin pages for them."""
