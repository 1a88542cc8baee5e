"""Navigation links that features add to the header, shown by role."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask, url_for
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


_main_links: list[NavLink] = []
_user_links: list[NavLink] = []


def add_nav_link(label: str, endpoint: str, visible: Callable[[Any], bool] = lambda user: True,
                 order: int = 100, menu: str = "main") -> None:
    links = _main_links if menu == "main" else _user_links
    if all(link.endpoint != endpoint for link in links):
        links.append(NavLink(label, endpoint, visible, order))


def _items(links: list[NavLink]) -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    items = []
    for link in sorted(links, key=lambda l: l.order):
        if link.visible(current_user):
            url = url_for(link.endpoint)
            items.append(NavItem(link.label, url, url.rstrip("/") + "/"))
    return items


def register_navigation(app: Flask) -> None:
    app.add_template_global(lambda: _items(_main_links), "nav_items")
    app.add_template_global(lambda: _items(_user_links), "user_menu_items")
