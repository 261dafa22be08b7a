"""A role's candidates as the platform listed them, read only as far as the caller needs.

Every campaign PUT checks that its candidate is in the role by listing the whole role (the
platform has no single-candidate read). That check needs the ids alone, which pydantic reads in
about half the time of the full records (1,000 candidates: 1.0 ms against 1.85 ms). And what
the cache then keeps, the raw answer and a set of ints, gives the garbage collector nothing to
walk, where 1,000 records per cached role did on every collection (60 roles cached: 5.1-6.4 ms
a listing read in full, collections included, against 1.0 ms for the ids): the API's CPU per
PUT halved (docs/performance.md, fifth round). The dashboard needs the names, parsed on first use
from the same answer, so one listing still serves both.
"""

from functools import cached_property
from typing import TypeVar

from pydantic import BaseModel, TypeAdapter

from recruiting_platform.models import Candidate
from recruiting_platform.parsing import parse_answer

T = TypeVar("T")


class _CandidateId(BaseModel):
    id: int


_CANDIDATE_IDS = TypeAdapter(list[_CandidateId])
_CANDIDATES = TypeAdapter(list[Candidate])


class CandidateListing:
    """One `GET /role/{id}/candidate` answer. Its properties raise `PlatformTransient` when the
    part they read is not what the platform promised."""

    def __init__(self, content: bytes, *, where: str, status_code: int) -> None:
        self._content = content
        self._where = where
        self._status_code = status_code

    @cached_property
    def ids(self) -> frozenset[int]:
        if "candidates" in self.__dict__:
            return frozenset(candidate.id for candidate in self.candidates)
        return frozenset(row.id for row in self._parse(_CANDIDATE_IDS))

    @cached_property
    def candidates(self) -> list[Candidate]:
        candidates = self._parse(_CANDIDATES)
        self._content = b""  # read in full: the records replace the raw answer in memory
        return candidates

    def _parse(self, adapter: TypeAdapter[T]) -> T:
        return parse_answer(
            adapter, self._content, where=self._where, status_code=self._status_code
        )
