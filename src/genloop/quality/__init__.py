"""Data quality: profile, clean, deduplicate, scrub and decontaminate dataset versions; map prompts.

Every operation is a ``data`` run on dataset versions with lineage (see :class:`QualityService`):
profiles are stored with their run; clean, dedup, scrub and decontaminate write a new version and keep
what they removed with the run for review; the prompt map embeds, projects and clusters prompts of a
version or of production traces and flags irrelevant ones. Near duplicates are found by MinHash + LSH
vectorised with numpy (``find_near_duplicates``). Languages, embeddings and the map need the
``quality`` extra (``pip install 'genloop[quality]'``).
"""

from genloop.quality._clean import STEP_OPS
from genloop.quality._embed import Embedder, HashedEmbedder, get_embedder
from genloop.quality._minhash import NearDuplicates, find_near_duplicates
from genloop.quality._schemas import (
    CleanRequest,
    ColumnProfile,
    DecontaminateRequest,
    DedupRequest,
    Histogram,
    LengthStats,
    MapPoint,
    MapRequest,
    ProfileRequest,
    PromptMap,
    QualityResult,
    ScrubRequest,
    TextFieldProfile,
    VersionProfile,
)
from genloop.quality._service import QualityService
from genloop.quality._tokens import split_words

__all__ = [
    "STEP_OPS",
    "CleanRequest",
    "ColumnProfile",
    "DecontaminateRequest",
    "DedupRequest",
    "Embedder",
    "HashedEmbedder",
    "Histogram",
    "LengthStats",
    "MapPoint",
    "MapRequest",
    "NearDuplicates",
    "ProfileRequest",
    "PromptMap",
    "QualityResult",
    "QualityService",
    "ScrubRequest",
    "TextFieldProfile",
    "VersionProfile",
    "find_near_duplicates",
    "get_embedder",
    "split_words",
]
