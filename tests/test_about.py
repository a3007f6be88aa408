"""The about page: what postpartum depression is, what the clinic offers, when to seek help now."""

from __future__ import annotations

import re

import pytest

from screening.core.instrument import InstrumentError
from screening.core.textfiles import InstanceFileError
from tests.helpers import built_app, visible_text
from tools.testkit import TEST_SECRET, all_first_options, answers_form

ABOUT_LINK = re.compile(r'<a href="/about">')


def test_about_page_covers_the_essentials(client):
    response = client.get("/about")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for phrase in (
        "Postpartum depression and how we can help",
        "baby blues",
        "It is common and it can be treated. It is not a personal failing",
        "it can also begin during pregnancy",
        "asks how you have felt over the past 7 days",
        "It cannot diagnose depression",
        "An assessment conversation with a clinician",
        "Psychotherapy",
        "Medication such as antidepressants",
        "Cognitive behavioural therapy (CBT) and interpersonal therapy (IPT)",
        "They are not a first treatment",
        "usually when psychotherapy and antidepressants have not helped enough, and always "
        "together with psychotherapy",
        "Clinics generally do not give it during pregnancy",
        "it has hardly been studied in breastfeeding",
        "not suitable for people who have had psychosis or mania",
        "off-label",
        "If you are pregnant or breastfeeding, tell the clinician: some treatments, including "
        "ketamine, may not be suitable.",
        "you feel you might act on thoughts of harming your baby",
        "Such thoughts are common, they do not mean that you want to act on them, and they can "
        "be treated. Please tell us about them",
        "cannot sleep even when your baby is asleep, or have hardly eaten for days",
        "please do not stop it on your own",
        "your thoughts are racing or muddled",
        "postpartum psychosis",
        "seeing or hearing things that others do not",
        "+380 7373 080 88",
        'href="tel:103"',
        'href="tel:112"',
        'href="tel:7333"',
        "Lifeline Ukraine",
    ):
        assert phrase in page, phrase
    visible = visible_text(page).lower()
    for promise in ("cure", "safe", "fast", "quick", "guarantee", "better than", "dose", "mg"):
        assert not re.search(rf"\b{promise}", visible), promise


@pytest.mark.parametrize("path", ["/", "/about", "/intake", "/missing"])
def test_every_page_links_to_it_from_the_footer(client, path):
    footer = client.get(path).get_data(as_text=True).split('<footer class="site-footer">')[1]
    assert ABOUT_LINK.search(footer)


def test_questionnaire_and_every_result_page_link_to_it(client):
    main = client.get("/").get_data(as_text=True).split("<main")[1].split("</main>")[0]
    assert ABOUT_LINK.search(main)
    result = client.post("/", data=answers_form(all_first_options())).get_data(as_text=True)
    main = result.split("<main")[1].split("</main>")[0]
    assert re.search(r'<a href="/about">What happens next</a>', main)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    path = tmp_path / "instance"
    path.mkdir()
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(path))
    return path


def make_client(instance):
    settings = {"TESTING": True, "SECRET_KEY": TEST_SECRET, "HTTPS": False}
    return built_app(settings).test_client()


def test_a_text_file_in_the_instance_folder_replaces_the_clinics_paragraphs(instance):
    (instance / "about.txt").write_text(
        "## Our care\n\nWe offer <b>counselling</b> & group support.\n\nSecond\nparagraph.\n",
        encoding="utf-8",
    )
    page = make_client(instance).get("/about").get_data(as_text=True)
    assert "<h3>Our care</h3>" in page
    assert "<p>We offer &lt;b&gt;counselling&lt;/b&gt; &amp; group support.</p>" in page
    assert "<p>Second paragraph.</p>" in page
    assert "Ketamine" not in page
    assert "When to seek help now" in page


def test_a_language_specific_file_wins_for_that_language(instance):
    (instance / "about.txt").write_text("Plain English text.", encoding="utf-8")
    (instance / "about.uk.txt").write_text("Текст українською.", encoding="utf-8")
    client = make_client(instance)
    assert "Текст українською." in client.get("/about?lang=uk").get_data(as_text=True)
    assert "Plain English text." in client.get("/about?lang=en").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("Текст українською.".encode("cp1251"), "Windows-1251"),
        ("Текст українською.".encode("utf-16"), "UTF-16"),
    ],
)
def test_a_file_not_in_utf_8_stops_start_up_naming_it(instance, data, problem):
    (instance / "about.uk.txt").write_bytes(data)
    with pytest.raises(InstanceFileError, match=rf"about\.uk\.txt is not UTF-8 \(.*{problem}"):
        make_client(instance)


def test_a_utf_8_byte_order_mark_is_accepted_and_removed(instance):
    text = "\n\n".join(["## Наша допомога", "Текст українською."])
    (instance / "about.uk.txt").write_bytes(text.encode("utf-8-sig"))
    page = make_client(instance).get("/about?lang=uk").get_data(as_text=True)
    assert "<h3>Наша допомога</h3>" in page
    assert "\ufeff" not in page


def test_a_translation_not_in_utf_8_stops_start_up_naming_it(instance):
    (instance / "instruments").mkdir()
    (instance / "instruments" / "epds.uk.json").write_bytes('{"language": "uk"}'.encode("utf-16"))
    with pytest.raises(InstrumentError, match=r"epds\.uk\.json is not UTF-8"):
        make_client(instance)
