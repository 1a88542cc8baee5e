"""Navigation links that features add to the header, shown by role."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask, current_app, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavLink:
    label: str
    endpoint: str
    visible: Callable[[Any], bool]
    order: int = 100


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    prefix: str


EXTENSION_KEY = "gmg_navigation"


def _links(app: Flask, menu: str) -> list[NavLink]:
    menus = app.extensions.setdefault(EXTENSION_KEY, {"main": [], "user": []})
    return menus[menu]


def add_nav_link(app: Flask, label: str, endpoint: str, visible: Callable[[Any], bool] = lambda user: True,
                 order: int = 100, menu: str = "main") -> None:
    """A link in the header (`menu="main"`) or the user menu (`menu="user"`) for whom `visible(user)`."""
    links = _links(app, menu)
    if all(link.endpoint != endpoint for link in links):
        links.append(NavLink(label, endpoint, visible, order))


def _items(menu: str) -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    links = _links(current_app, menu)
    items = []
    for link in sorted(links, key=lambda l: l.order):
        if link.visible(current_user):
            url = url_for(link.endpoint)
            items.append(NavItem(link.label, url, url.rstrip("/") + "/"))
    return items


def register_navigation(app: Flask) -> None:
    app.add_template_global(lambda: _items("main"), "nav_items")
    app.add_template_global(lambda: _items("user"), "user_menu_items")
