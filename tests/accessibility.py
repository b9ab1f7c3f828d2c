"""What the browser tests check on a page: axe-core's findings, the size of what a thumb taps, and the
page's height. axe-core comes from npm (tests/browser_tools, `npm ci` there; .ci/run does it)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

AXE = Path(__file__).parent / "browser_tools" / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.5.5: a target a finger can hit.
SMALLEST_TARGET = 44


@cache
def axe_source() -> str:
    """axe-core's script. Without it the test is skipped, except under CI, where that is a failure."""
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have axe-core at {AXE}: run `npm ci` in tests/browser_tools", pytrace=False)
        pytest.skip(f"needs axe-core: run `npm ci` in {AXE.parents[2]}")
    return AXE.read_text(encoding="utf-8")


# The experimental rules run too: label-content-name-mismatch, a button whose spoken name does not
# contain its visible words, is one of them.
RUN_AXE = """async () => {
    const experimental = Object.fromEntries(axe.getRules(["experimental"]).map(rule => [rule.ruleId, {enabled: true}]));
    const result = await axe.run(document, {resultTypes: ["violations"], rules: experimental});
    return result.violations
        .filter(v => v.impact === "serious" || v.impact === "critical")
        .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(" ")).join(", ")}`);
}"""


def serious_findings(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands. The script is evaluated
    rather than added as a tag, so it runs with the page's own JavaScript turned off too."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_source())
    return page.evaluate(RUN_AXE)


SMALL_TARGETS = """(smallest) => {
    document.querySelectorAll("details").forEach(d => { d.open = true; });
    const small = [];
    const inSentence = (link) => {
        const block = link.closest("p, li, dd, td, th, label");
        return block !== null && block.textContent.trim() !== link.textContent.trim()
            && block.textContent.trim().length > link.textContent.trim().length + 2
            && getComputedStyle(link).display === "inline";
    };
    const controls = "a[href], button, input:not([type=hidden]), select, textarea, summary";
    for (const element of document.querySelectorAll(controls)) {
        let box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0 || box.right <= 0) continue;  // not shown (the skip link)
        if (element.matches("input[type=checkbox], input[type=radio]")) {
            const label = element.closest("label")
                || (element.id && document.querySelector(`label[for="${element.id}"]`));
            if (label) {
                const around = label.closest(".check") || label;
                const other = around.getBoundingClientRect();
                box = {width: Math.max(box.right, other.right) - Math.min(box.left, other.left),
                       height: Math.max(box.bottom, other.bottom) - Math.min(box.top, other.top)};
            }
        }
        if (element.matches("a") && inSentence(element)) continue;  // WCAG's exception for links in text
        if (box.width < smallest - 0.5 || box.height < smallest - 0.5) {
            const name = (element.getAttribute("aria-label") || element.textContent || element.name || element.id)
                .trim().slice(0, 40);
            const size = `${Math.round(box.width)}×${Math.round(box.height)}`;
            small.push(`${element.tagName.toLowerCase()} "${name}" ${size}`);
        }
    }
    return small;
}"""


def small_targets(page) -> list[str]:
    """Links and controls smaller than 44 × 44 px, with every folded section opened; a tick box counts
    with its label, which ticks it too, and a link inside a sentence is left out."""
    return page.evaluate(SMALL_TARGETS, SMALLEST_TARGET)


def screens_tall(page) -> float:
    return page.evaluate("document.documentElement.scrollHeight / window.innerHeight")


def fits_the_screen(page) -> bool:
    """No sideways scrolling. Asked of the page a tap has just opened: a click waits only for the
    next page to start loading, and a document still being replaced has no elements to measure.
    Measured against the screen's width (the root's clientWidth), not window.innerWidth: a phone
    widens innerWidth to whatever overflows, so a page 496 px wide on a 360 px phone passed."""
    page.wait_for_load_state()
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
