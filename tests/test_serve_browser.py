"""The editors' page in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import csv
import io
import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS = "<img src=x onerror=alert(1)> Тестовый заголовок с картинкой"
XSS_2 = "<script>alert(2)</script> Второй тестовый заголовок"
FEED = [
    ("1", "Пожар на складе в Алматы потушили за два часа", "tengri"),
    ("2", "Срочно: пожар на складе в Алматы потушили за два часа", "kazinform"),
    ("3", "Курс доллара на бирже вырос до 480 тенге", "kursiv"),
    ("4", "Рыбакина вышла в финал турнира в Дохе", "tengri"),
    ("5", "В Астане ожидается сильный снегопад и гололёд", "kazinform"),
    ("6", "Мажилис одобрил поправки в закон о выборах", "kursiv"),
    ("7", XSS, "test"),
    ("8", XSS_2, "test"),
]


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium: apt-get install chromium (never `playwright install`)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def feed_csv() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "title", "source"])
    w.writerows(FEED)
    return buf.getvalue().encode("utf-8")


def test_desk_upload_fix_split_reload_and_xss(make_server, browser, tmp_path):
    live = make_server(f"sqlite:///{tmp_path / 'desk.db'}", model=None)
    shots = Path(os.environ.get("FEEDCLASS_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_default_timeout(20_000)
    page.goto(live.url + "/")
    assert page.locator("p.empty").is_visible()

    # upload a feed file and watch it come in
    feed = tmp_path / "feed.csv"
    feed.write_bytes(feed_csv())
    page.set_input_files("#upload input[type=file]", str(feed))
    with page.expect_navigation():
        page.click("#upload button[type=submit]")
    page.wait_for_selector("article.story")
    stories = page.locator("article.story")
    assert stories.count() == 7  # 8 items, one repost folded under its story
    assert page.locator(".chip").first.is_visible()

    # the headlines that look like HTML are text: shown literally, never run
    assert page.get_by_text(XSS, exact=True).is_visible()
    assert page.get_by_text(XSS_2, exact=True).is_visible()
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []

    # the repost is folded under its story, with its similarity
    story = page.locator("article.story", has=page.locator("details.dups"))
    assert story.count() == 1
    story.locator("summary").click()
    dup = story.locator("details.dups li.item")
    assert "Срочно" in dup.locator(".headline").inner_text()
    dup_key = dup.get_attribute("data-key")
    page.screenshot(path=str(shots / "desk.png"), full_page=False)

    # fix a topic without a reload
    sport = page.locator("li.item", has=page.get_by_text("Рыбакина вышла в финал турнира в Дохе"))
    sport.locator("select.topic-select").select_option("culture")
    page.wait_for_function(
        "el => el.textContent.startsWith('Культура')",
        arg=sport.locator("[data-role=chip]").element_handle(),
    )

    # split the repost off: it becomes a story of its own at once
    dup.locator("button.split").click()
    page.wait_for_function("() => document.querySelectorAll('article.story').length === 8")

    # another editor's page (a reload) sees both changes
    page.reload()
    sport = page.locator("li.item", has=page.get_by_text("Рыбакина вышла в финал турнира в Дохе"))
    assert sport.locator("select.topic-select").input_value() == "culture"
    assert page.locator("article.story").count() == 8
    assert page.locator("details.dups").count() == 0
    moved = page.locator(f'li.item[data-key="{dup_key}"]')
    assert moved.count() == 1

    # the review queue and the English switch
    page.goto(live.url + "/review?lang=en")
    assert page.locator("nav a[aria-current=page]").inner_text() == "Review"
    page.goto(live.url + "/")
    assert page.locator("nav a").first.inner_text() == "Desk"  # the choice is remembered

    # a phone screen: nothing wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    page.screenshot(path=str(shots / "desk-phone.png"))
    assert dialogs == []
    page.close()


def test_topic_stepped_through_by_keyboard_is_saved_once_as_shown(make_server, browser, tmp_path):
    # each arrow key on a closed drop-down is a "change": every topic stepped over was sent
    # as a correction, and out-of-order answers could leave another topic stored than shown
    live = make_server(f"sqlite:///{tmp_path / 'keys.db'}")
    with httpx.Client(base_url=live.url, timeout=30) as c:
        item = c.post("/v1/items", json={"id": "k1", "title": FEED[3][1], "source": "s"}).json()
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(live.url + "/")
        page.wait_for_load_state("networkidle")  # desk.js listens
        select = page.locator(f'li.item[data-key="{item["key"]}"] select.topic-select')
        before = select.input_value()
        select.focus()
        # Chrome and Firefox on Windows fire "change" at each arrow key on a closed drop-down
        # (Linux Chromium opens the list instead), so the steps are played as they do it
        page.evaluate(
            """sel => { for (let i = 0; i < 3; i++) {
                sel.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowDown", bubbles: true}));
                sel.selectedIndex = (sel.selectedIndex + 1) % sel.options.length;
                sel.dispatchEvent(new Event("change", {bubbles: true}));
            } }""",
            select.element_handle(),
        )
        shown = select.input_value()
        assert shown != before
        deadline = time.time() + 15
        while c.get(f"/v1/items/{item['key']}").json()["topic"] != shown:
            assert time.time() < deadline, "the topic shown was never stored"
            time.sleep(0.2)
        time.sleep(1.5)  # nothing else arrives later
        actions = [a for a in c.get("/v1/actions").json()["actions"] if a["action"] == "set_topic"]
        assert len(actions) == 1 and actions[0]["after"]["topic"] == shown
        assert c.get(f"/v1/items/{item['key']}").json()["topic"] == shown
        page.close()
