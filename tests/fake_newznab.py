"""A fake Torznab/Newznab indexer: a Flask app answering as Prowlarr, Jackett, nZEDb or NZBHydra2 do.

The payloads follow the shapes those servers send (caps with their ``supportedParams``, feeds
with their namespaces, extra elements and attributes, download links carrying the API key,
``<error>`` replies), so that the client is tested against what it meets, not against itself.
``FakeIndexer.answer`` replaces every answer, for the hostile cases. ``fake_app`` serves several
fakes from one loopback server, at ``/<flavour>/.../api``.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from flask import Flask, Response, abort, request

API_KEY = "f963a60693dd49a08ff75188f9fc72d2"
TORZNAB_NS = "http://torznab.com/schemas/2015/feed"
NEWZNAB_NS = "http://www.newznab.com/DTD/2010/feeds/attributes/"

CATEGORIES = """
  <categories>
    <category id="2000" name="Movies">
      <subcat id="2010" name="Movies/Foreign"/><subcat id="2030" name="Movies/SD"/>
      <subcat id="2040" name="Movies/HD"/><subcat id="2045" name="Movies/UHD"/>
      <subcat id="2050" name="Movies/BluRay"/>
    </category>
    <category id="5000" name="TV">
      <subcat id="5030" name="TV/SD"/><subcat id="5040" name="TV/HD"/><subcat id="5045" name="TV/UHD"/>
      <subcat id="5070" name="TV/Anime"/>
    </category>
    {extra}
  </categories>"""

CAPS = {
    "prowlarr": """<?xml version="1.0" encoding="UTF-8"?>
<caps>
  <server title="Prowlarr" />
  <limits default="100" max="100" />
  <searching>
    <search available="yes" supportedParams="q" />
    <tv-search available="yes" supportedParams="q,season,ep,imdbid,tvdbid,tmdbid,tvmazeid,traktid,doubanid,year,genre" />
    <movie-search available="yes" supportedParams="q,imdbid,tmdbid,traktid,doubanid,year,genre" />
    <music-search available="yes" supportedParams="q,album,artist,label,year,genre" />
    <audio-search available="yes" supportedParams="q,album,artist,label,year,genre" />
    <book-search available="yes" supportedParams="q,title,author,publisher,year,genre" />
  </searching>""" + CATEGORIES.format(extra='<category id="100001" name="HD Movies"/>') + """
  <tags />
</caps>""",
    "jackett": """<?xml version="1.0" encoding="UTF-8"?>
<caps>
  <server title="Jackett" />
  <limits default="100" max="100" />
  <searching>
    <search available="yes" supportedParams="q" />
    <tv-search available="yes" supportedParams="q,season,ep,imdbid" />
    <movie-search available="yes" supportedParams="q,imdbid" />
    <music-search available="no" supportedParams="q" />
    <audio-search available="no" supportedParams="q" />
    <book-search available="no" supportedParams="q" />
  </searching>""" + CATEGORIES.format(extra="") + """
</caps>""",
    "nzedb": """<?xml version="1.0" encoding="UTF-8"?>
<caps>
<server appversion="0.8.1.0" version="0.1" title="nZEDb" strapline="A great usenet indexer"
  email="admin@nzb.example" url="https://nzb.example/" image="https://nzb.example/themes/shared/img/logo.png"/>
<limits max="100" default="100"/>
<registration available="yes" open="no"/>
<searching>
<search available="yes" supportedParams="q"/>
<tv-search available="yes" supportedParams="q,vid,tvdbid,traktid,rid,tvmazeid,imdbid,tmdbid,season,ep"/>
<movie-search available="yes" supportedParams="q,imdbid"/>
<audio-search available="no" supportedParams=""/>
</searching>""" + CATEGORIES.format(extra='<category id="7000" name="Other"><subcat id="7010" name="Misc"/></category>') + """
</caps>""",
    "nzbhydra": """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<caps>
    <server version="1.0" title="NZBHydra 2" strapline="NZBHydra 2" email="" url="https://github.com/theotherp/nzbhydra2" image=""/>
    <limits max="100" default="100"/>
    <retention days="3000"/>
    <registration available="no" open="no"/>
    <searching>
        <search available="yes" supportedParams="q,cat,limit,offset,minage,maxage,minsize,maxsize"/>
        <tv-search available="yes" supportedParams="q,season,ep,cat,limit,offset,minage,maxage,minsize,maxsize,tvdbid,rid,tvmazeid,imdbid,traktid,tmdbid"/>
        <movie-search available="yes" supportedParams="q,cat,limit,offset,minage,maxage,minsize,maxsize,imdbid,tmdbid"/>
        <audio-search available="no" supportedParams=""/>
        <book-search available="no" supportedParams=""/>
    </searching>""" + CATEGORIES.format(extra="") + """
</caps>""",
    # An old Newznab server: no supportedParams at all, no limits.
    "newznab-old": """<?xml version="1.0" encoding="UTF-8"?>
<caps>
  <server version="0.2.3" title="Newznab" />
  <searching>
    <search available="yes"/>
    <tv-search available="yes"/>
    <movie-search available="no"/>
  </searching>""" + CATEGORIES.format(extra="") + """
</caps>""",
}

# How each answers a wrong API key: (HTTP status, <error> description).
WRONG_KEY = {
    "prowlarr": (401, "Invalid API Key"),
    "jackett": (401, "Invalid API Key"),
    "nzedb": (200, "Incorrect user credentials"),
    "nzbhydra": (401, "Incorrect user credentials"),
    "newznab-old": (200, "Incorrect user credentials"),
}
TORZNAB_FLAVOURS = ("prowlarr", "jackett")


@dataclass(frozen=True)
class Item:
    """One release as the fake lists it."""

    title: str
    size: int
    categories: tuple[int, ...]
    seeders: int = 10
    peers: int = 12
    info_hash: str = "0F3B6C2A9E1D4B7C8A5E2F1D0C9B8A7E6D5C4B3A"
    pub_date: str = "Mon, 03 Jun 2024 10:20:30 +0000"
    magnet_only: bool = False
    ident: str = "118233"


MOVIE_ITEMS = (
    Item("The.Matrix.1999.1080p.BluRay.x264-GROUP", 11_811_160_064, (2000, 2040, 100001), seeders=42, peers=47),
    Item("The.Matrix.1999.720p.WEB-DL.DD5.1.H264-DEAD", 4_724_464_025, (2000, 2040), seeders=0, peers=3,
         info_hash="A1B2C3D4E5F60718293A4B5C6D7E8F9012345678", pub_date="Sun, 02 Jun 2024 22:05:00 -0400",
         magnet_only=True, ident="99812"),
)
TV_ITEMS = (
    Item("Show.Name.S01E02.720p.HDTV.x264-GRP", 1_288_490_189, (5000, 5040), seeders=7, peers=9,
         info_hash="B2C3D4E5F60718293A4B5C6D7E8F901234567890", pub_date="Sat, 01 Jun 2024 12:00:00 +0000",
         ident="0f3b0c0e5f2d"),
)


def fake_app(fakes: Mapping[str, FakeIndexer]) -> Flask:
    """One app for several fakes: ``/<flavour>/api`` and ``/<flavour>/<anything>/api`` reach that one."""
    app = Flask(__name__)

    def api(flavour: str, rest: str = "") -> Response:
        fake = fakes.get(flavour)
        if fake is None:
            abort(404)
        return fake.api()

    app.add_url_rule("/<flavour>/api", "api", api)
    app.add_url_rule("/<flavour>/<path:rest>/api", "api_under", api)
    return app


class FakeIndexer:
    """Answers as one real server does; keeps every request's parameters (the key left out)."""

    def __init__(self, flavour: str = "prowlarr", api_key: str = API_KEY) -> None:
        self.flavour = flavour
        self.api_key = api_key
        self.changed = threading.Condition()
        self.stop = threading.Event()
        self.hold = threading.Event()
        self.reset()

    def reset(self) -> None:
        """Back to a plain, honest server; what the last test left waiting or streaming ends."""
        self.stop.set()  # endless answers end
        self.hold.set()
        self.stop = threading.Event()
        self.hold = threading.Event()  # cleared: searches wait until it is set (caps never wait)
        self.hold.set()
        self.answer: Callable[[], Response] | None = None  # replaces every answer
        self.asked: list[dict[str, str]] = []
        self.arrivals: list[float] = []
        self.in_flight = 0
        self.most_in_flight = 0

    @property
    def searches(self) -> list[dict[str, str]]:
        return [params for params in self.asked if params.get("t") != "caps"]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), "the fake indexer never got there"

    def api(self) -> Response:
        with self.changed:
            self.asked.append({key: value for key, value in request.args.items() if key != "apikey"})
            self.arrivals.append(time.monotonic())
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.changed.notify_all()
        try:
            if request.args.get("t") != "caps":
                self.hold.wait(5)
            return self.respond()
        finally:
            with self.changed:
                self.in_flight -= 1
                self.changed.notify_all()

    def respond(self) -> Response:
        if self.answer is not None:
            return self.answer()
        if request.args.get("apikey") != self.api_key:
            status, description = WRONG_KEY[self.flavour]
            return xml(error_xml(100, description), status)
        kind = request.args.get("t")
        if kind == "caps":
            return xml(CAPS[self.flavour])
        if kind not in ("search", "tvsearch", "movie"):
            return xml(error_xml(202, "No such function"), 400 if self.flavour == "prowlarr" else 200)
        items = TV_ITEMS if kind == "tvsearch" else MOVIE_ITEMS
        return xml(self.feed(items))

    def feed(self, items: Iterable[Item]) -> str:
        if self.flavour in TORZNAB_FLAVOURS:
            return torznab_feed(self.flavour, [torznab_item(self.flavour, item, self.api_key) for item in items])
        return newznab_feed(self.flavour, [newznab_item(self.flavour, item, self.api_key) for item in items])


def xml(body: str | bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status, headers, content_type="application/rss+xml; charset=utf-8")


def error_xml(code: int, description: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<error code="{code}" description={quoteattr(description)} />'


def host() -> str:
    return request.host_url


def torznab_feed(flavour: str, items: list[str]) -> str:
    title = "Prowlarr" if flavour == "prowlarr" else "1337x"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:torznab="{TORZNAB_NS}">
  <channel>
    <atom:link href="{host()}" rel="self" type="application/rss+xml" />
    <title>{title}</title>
    <description>{title} indexer feed</description>
    <link>https://tracker.example/</link>
    <language>en-US</language>
    <category>search</category>
    {"".join(items)}
  </channel>
</rss>"""


def torznab_item(flavour: str, item: Item, key: str) -> str:
    if item.magnet_only:
        link = f"magnet:?xt=urn:btih:{item.info_hash}&dn={item.title}&tr=udp://tracker.example:1337/announce"
        kind = "application/x-bittorrent;x-scheme-handler/magnet"
    elif flavour == "prowlarr":
        link = f"{host()}12/download?apikey={key}&link=ZXhhbXBsZQ&file={item.title}"
        kind = "application/x-bittorrent"
    else:
        link = f"{host()}dl/1337x/?jackett_apikey={key}&path=ZXhhbXBsZQ&file={item.title}"
        kind = "application/x-bittorrent"
    source = ('<prowlarrindexer id="12" type="private">TrackerX</prowlarrindexer>' if flavour == "prowlarr"
              else '<jackettindexer id="1337x">1337x</jackettindexer>')
    categories = "".join(f"<category>{number}</category>" for number in item.categories)
    attrs = "".join(f'<torznab:attr name="category" value="{number}" />' for number in item.categories)
    return f"""
    <item>
      <title>{escape(item.title)}</title>
      <guid>https://tracker.example/torrents/{item.ident}</guid>
      {source}
      <type>private</type>
      <comments>https://tracker.example/torrents/{item.ident}</comments>
      <pubDate>{item.pub_date}</pubDate>
      <size>{item.size}</size>
      <grabs>1200</grabs>
      <description />
      <link>{escape(link)}</link>
      {categories}
      <enclosure url={quoteattr(link)} length="{item.size}" type="{kind}" />
      {attrs}
      <torznab:attr name="genre" value="" />
      <torznab:attr name="tmdbid" value="603" />
      <torznab:attr name="seeders" value="{item.seeders}" />
      <torznab:attr name="files" value="3" />
      <torznab:attr name="grabs" value="1200" />
      <torznab:attr name="peers" value="{item.peers}" />
      <torznab:attr name="infohash" value="{item.info_hash}" />
      {f'<torznab:attr name="magneturl" value={quoteattr(link)} />' if item.magnet_only else ""}
      <torznab:attr name="downloadvolumefactor" value="0" />
      <torznab:attr name="uploadvolumefactor" value="1" />
      <torznab:attr name="minimumratio" value="1" />
      <torznab:attr name="minimumseedtime" value="172800" />
    </item>"""


def newznab_feed(flavour: str, items: list[str]) -> str:
    title = "nZEDb" if flavour == "nzedb" else "NZBHydra2"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:newznab="{NEWZNAB_NS}">
<channel>
<atom:link href="{host()}api" rel="self" type="application/rss+xml"/>
<title>{title}</title>
<description>{title} API Results</description>
<link>{host()}</link>
<language>en-gb</language>
<webMaster>admin@nzb.example ({title})</webMaster>
<category/>
<image><url>{host()}themes/shared/img/logo.png</url><title>{title}</title><link>{host()}</link></image>
<newznab:response offset="0" total="{len(items)}"/>
{"".join(items)}
</channel>
</rss>"""


def newznab_item(flavour: str, item: Item, key: str) -> str:
    if flavour == "nzbhydra":
        link = f"{host()}getnzb/api/5293954792479313301?apikey={key}"
        guid = '<guid isPermaLink="false">5293954792479313301</guid>'
        extra = ('<newznab:attr name="hydraIndexerScore" value="0"/>'
                 '<newznab:attr name="hydraIndexerHost" value="https://indexer.example/"/>'
                 '<newznab:attr name="hydraIndexerName" value="IndexerX"/>')
    else:
        link = f"{host()}getnzb/{item.ident}.nzb&i=1&r={key}"
        guid = f'<guid isPermaLink="true">{host()}details/{item.ident}</guid>'
        extra = '<newznab:attr name="group" value="alt.binaries.teevee"/><newznab:attr name="password" value="0"/>'
    attrs = "".join(f'<newznab:attr name="category" value="{number}"/>' for number in item.categories)
    return f"""<item>
<title>{escape(item.title)}</title>
{guid}
<link>{escape(link)}</link>
<comments>https://indexer.example/details/{item.ident}#comments</comments>
<pubDate>{item.pub_date}</pubDate>
<category>TV &gt; HD</category>
<description>{escape(item.title)}</description>
<enclosure url={quoteattr(link)} length="{item.size}" type="application/x-nzb"/>
{attrs}
<newznab:attr name="size" value="{item.size}"/>
<newznab:attr name="guid" value="{item.ident}"/>
<newznab:attr name="files" value="35"/>
<newznab:attr name="grabs" value="12"/>
<newznab:attr name="usenetdate" value="{item.pub_date}"/>
{extra}
</item>
"""
