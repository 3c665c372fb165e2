"""Scenarios: a company's documents, guidelines, offerings and customer profiles, loaded from a folder.

The folder format is documented in docs/scenario-format.md. The package by concern:
- `model`: the pydantic models (Scenario, Company, Palette, Document, Testimonial, ...);
- `parsers`: one parser per structured file kind, each returning what it read and a list of Problems;
- `freetext`: lists and testimonials written as free text;
- `load`: `load_scenario`, which reads a folder and reports every problem at once;
- `files`: checked writes of single files and the zip import;
- `segments`: which market segment a profile belongs to;
- `inputs`: `scenario_inputs`, the prompt variables named in `INPUT_NAMES` for one profile;
- `prose`: a profile described in plain English;
- `knowledge`: BM25 retrieval over the documents (imported on its own: it loads bm25s).
"""

from workflow_core.scenario.files import (
    MAX_ZIP_BYTES,
    check_scenario_file,
    check_scenario_files,
    import_scenario_zip,
    save_scenario_file,
    save_scenario_files,
)
from workflow_core.scenario.freetext import parse_design_steps, parse_list_items, parse_testimonials_text
from workflow_core.scenario.inputs import INPUT_NAMES, logo_data_uri, scenario_inputs
from workflow_core.scenario.load import DOC_SUFFIXES, load_scenario
from workflow_core.scenario.model import Company, Contact, Document, Fonts, Palette, Scenario, Testimonial
from workflow_core.scenario.parsers import (
    METADATA_SUFFIX,
    parse_company,
    parse_metadata_sidecar,
    parse_offerings,
    parse_profile,
    parse_profiles_jsonl,
    parse_testimonials_json,
    split_front_matter,
)
from workflow_core.scenario.prose import profile_to_prose
from workflow_core.scenario.segments import SEGMENT_KEYS, profile_segment

__all__ = [
    "DOC_SUFFIXES",
    "INPUT_NAMES",
    "MAX_ZIP_BYTES",
    "METADATA_SUFFIX",
    "SEGMENT_KEYS",
    "Company",
    "Contact",
    "Document",
    "Fonts",
    "Palette",
    "Scenario",
    "Testimonial",
    "check_scenario_file",
    "check_scenario_files",
    "import_scenario_zip",
    "load_scenario",
    "logo_data_uri",
    "parse_company",
    "parse_design_steps",
    "parse_list_items",
    "parse_metadata_sidecar",
    "parse_offerings",
    "parse_profile",
    "parse_profiles_jsonl",
    "parse_testimonials_json",
    "parse_testimonials_text",
    "profile_segment",
    "profile_to_prose",
    "save_scenario_file",
    "save_scenario_files",
    "scenario_inputs",
    "split_front_matter",
]
