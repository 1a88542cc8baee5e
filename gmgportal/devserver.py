"""`make run`: serve the portal for development and say how to log in."""
from __future__ import annotations

import os

from gmgportal import create_app

HOST = os.environ.get("GMG_HOST", "127.0.0.1")
PORT = int(os.environ.get("GMG_PORT", "5000"))


def login_help(app) -> str:
    lines = [f"GMG Portal is running at http://{HOST}:{PORT}", ""]
    if app.config.get("DEMO_ACCOUNTS"):
        lines += [
            "Log in with one of the demo accounts (password: gmg-demo-2014):",
            "  admin@example.org           administrator",
            "  chair@example.org           chair (UN/DESA)",
            "  focal.iom@example.org       IOM focal point (also focal.ilo, focal.unicef, ...)",
            "  editor@example.org          handbook editor",
            "  reviewer.oecd@example.org   reviewer (OECD)",
        ]
    lines += ["", "Press Ctrl+C to stop."]
    return "\n".join(lines)


def main() -> None:
    app = create_app()
    print(login_help(app), flush=True)
    app.run(host=HOST, port=PORT, debug=False, use_reloader=False, threaded=True)


if __name__ == "__main__":
    main()
