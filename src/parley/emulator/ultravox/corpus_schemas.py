"""Request bodies of `/api/corpora`: `ultravox.v1.Corpus`, `CorpusSource`, `QueryCorpusRequest`.

They are protobuf messages, so unknown fields are rejected (400), while the server-owned fields
the same messages carry (`corpusId`, `created`, `stats`, ...) are accepted and ignored, as the
real service's parser does. A source takes exactly one of `crawl`, `upload` or `advanced`;
the deprecated `loadSpec` counts as `crawl` when neither other spec is set.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Proto(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorpusIn(_Proto):
    corpusId: str | None = None
    created: str | None = None
    stats: dict[str, Any] | None = None
    name: str | None = None
    description: str | None = None


class CrawlSpec(_Proto):
    maxDocuments: int | None = Field(default=None, ge=1)
    maxDocumentBytes: int | None = Field(default=None, ge=1)
    relevantDocumentTypes: dict[str, Any] | None = None
    startUrls: list[str] | None = None
    maxDepth: int | None = Field(default=None, ge=1)

    @field_validator("startUrls")
    @classmethod
    def _urls(cls, value: list[str] | None) -> list[str] | None:
        for url in value or []:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} is not an http(s) URL.")
        return value


class UploadSpec(_Proto):
    documentIds: list[str] | None = None


class AdvancedDocument(_Proto):
    documentId: str
    exampleQueries: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("exampleQueries")
    @classmethod
    def _queries(cls, value: list[str]) -> list[str]:
        # Documented: up to 10, each non-empty after stripping, at most 400 characters.
        if any(not q.strip() or len(q) > 400 for q in value):
            raise ValueError("Each example query must be 1 to 400 characters.")
        return value


class AdvancedSpec(_Proto):
    documents: list[AdvancedDocument] | None = None


class SourceIn(_Proto):
    corpusId: str | None = None
    sourceId: str | None = None
    created: str | None = None
    stats: dict[str, Any] | None = None
    name: str | None = None
    description: str | None = None
    loadSpec: CrawlSpec | None = None
    crawl: CrawlSpec | None = None
    upload: UploadSpec | None = None
    advanced: AdvancedSpec | None = None

    def spec(self) -> dict[str, Any] | None:
        """The one document spec set, as `{"crawl": {...}}` etc.; None when there is none."""
        chosen = {k: getattr(self, k) for k in ("crawl", "upload", "advanced")}
        chosen = {k: v for k, v in chosen.items() if v is not None}
        if not chosen and self.loadSpec is not None:
            chosen = {"crawl": self.loadSpec}
        if len(chosen) != 1:
            return None
        return {k: v.model_dump(exclude_none=True) for k, v in chosen.items()}


class QueryIn(_Proto):
    query: str | None = None
    maxResults: int | None = None
