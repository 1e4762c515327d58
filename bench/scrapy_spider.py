"""The reference for bench-scan: a Scrapy spider doing what lscan's shopee
adapter does on the fixture market -- walk every category's search pages,
read each item's fields, and match the title against the rule terms (case
and diacritics folded, whole words) -- so the two are compared on the same
work. Run by build/bench-scan; writes its page and listing counts to -a out=FILE.

Two modes: by default it walks the category tree and each category's pages
one after another (each next page waits for the previous one: latency-bound);
with -a urls=FILE it is given every search page's URL up front (one a line),
follows nothing, and so is CPU-bound, the like-for-like reference.
"""
import json
import re
import unicodedata

import scrapy


def fold(text):
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


class MarketSpider(scrapy.Spider):
    name = "market"
    custom_settings = {
        "LOG_LEVEL": "ERROR",
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
        "ROBOTSTXT_OBEY": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "RETRY_ENABLED": False,
    }

    def __init__(self, base=None, terms=None, out=None, urls=None, **kwargs):
        super().__init__(**kwargs)
        self.base = base.rstrip("/")
        self.urls = open(urls, encoding="utf-8").read().split() if urls else None
        self.out = out
        words = [fold(t) for t in open(terms, encoding="utf-8").read().splitlines() if fold(t)]
        self.pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + r")\b")
        self.pages = self.listings = self.hits = 0

    def start_requests(self):
        if self.urls is not None:
            for url in self.urls:
                yield scrapy.Request(url)
            return
        yield scrapy.Request(self.base + "/api/v4/pages/get_category_tree", callback=self.categories)

    def categories(self, response):
        self.pages += 1
        for c in json.loads(response.text)["data"]["category_list"]:
            yield scrapy.Request(f"{self.base}/api/v4/search/search_items?match_id={c['catid']}&limit=60&newest=0")

    def parse(self, response):
        self.pages += 1
        page = json.loads(response.text)
        items = page.get("items") or []
        for item in items:
            basic = item.get("item_basic", item)
            listing = {"listing_id": str(basic["itemid"]), "title": basic["name"], "price": basic["price"] / 100000,
                       "seller": {"id": str(basic["shopid"]), "location": basic.get("shop_location")}}
            self.listings += 1
            if self.pattern.search(fold(listing["title"])):
                self.hits += 1
        if items and not page.get("nomore") and self.urls is None:
            offset = int(re.search(r"newest=(\d+)", response.url).group(1)) + len(items)
            yield scrapy.Request(re.sub(r"newest=\d+", f"newest={offset}", response.url))

    def closed(self, reason):
        with open(self.out, "w") as f:
            json.dump({"pages": self.pages, "listings": self.listings, "hits": self.hits}, f)
