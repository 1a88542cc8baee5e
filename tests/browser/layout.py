"""Layout checks for browser tests: no sideways scroll, nothing important cut, tables made with
the one table component, scroll regions Tab stops only where they scroll."""
from __future__ import annotations

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}

# Elements that must be seen whole: status tags, each table row's name, the timeline's bars
# and markers. Returns those cut by the viewport or by a box that clips them (a scrolling table).
CLIPPED_JS = """
() => {
  const cut = [];
  const vw = document.documentElement.clientWidth;
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const name = el => (el.textContent || el.getAttribute('class') || el.tagName).trim().slice(0, 40);
  for (const el of document.querySelectorAll('.tag, tbody th[scope=row], svg.timeline .bar, svg.timeline .ms')) {
    if (!shown(el) || el.closest('svg[aria-hidden=true], .timeline-legend')) continue;
    const r = el.getBoundingClientRect();
    if (r.left < -0.5 || r.right > vw + 0.5) {
      cut.push(`${name(el)} (${Math.round(r.left)}..${Math.round(r.right)} of ${vw})`);
      continue;
    }
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (style.overflowX === 'visible') continue;
      const b = box.getBoundingClientRect();
      if (r.left < b.left - 0.5 || r.right > b.right + 0.5) { cut.push(`${name(el)} cut by ${box.className}`); break; }
    }
  }
  return cut;
}
"""

# Every table is the one table component (macros/ui.html data_table), so it works on a phone.
COMPONENT_JS = """
() => [...document.querySelectorAll('main table')].flatMap(table => {
  const name = table.caption ? table.caption.textContent.trim() : table.className;
  const bad = [];
  if (!table.closest('[data-scroll-region]')) bad.push(`${name}: not made with data_table`);
  if (table.querySelector('tbody td:not([colspan]):not([data-label])')) bad.push(`${name}: a cell without data-label`);
  return bad;
})
"""

# A scroll region that is a Tab stop must scroll, and one that scrolls must be a Tab stop.
TAB_STOPS_JS = """
() => [...document.querySelectorAll('[data-scroll-region]')].filter(el => el.offsetParent !== null)
  .filter(el => (el.scrollWidth > el.clientWidth + 1) !== el.hasAttribute('tabindex'))
  .map(el => `${el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')}: `
             + `scrolls ${el.scrollWidth > el.clientWidth + 1}, tab stop ${el.hasAttribute('tabindex')}`)
"""


def check_layout(page, path: str, width: dict) -> None:
    """No sideways scroll, nothing important cut, Tab stops only on regions that scroll."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width['width']}px"
    cut = page.evaluate(CLIPPED_JS)
    assert not cut, f"{path} at {width['width']}px cuts: {cut}"
    not_component = page.evaluate(COMPONENT_JS)
    assert not not_component, f"{path}: {not_component}"
    wrong = page.evaluate(TAB_STOPS_JS)
    assert not wrong, f"{path} at {width['width']}px: {wrong}"
