"""Prompts: versioned chat or text templates with variables, model parameters and a response schema.

A version is immutable and identified by the hash of its content; creating identical content again
returns the existing version. Labels (``production``, ``staging``, any name) point at versions and
move; every change is audited. ``PromptService.render(ref, variables)`` renders in a sandbox.

prompt.yaml (``genloop prompts create NAME --file prompt.yaml``)::

    messages:                          # a chat template; or, for a text template:
      - role: system                   #   template: "Summarise: {{ text }}"
        content: "You are a support agent for {{ product }}."
      - role: user                     # roles: system, developer, user, assistant, tool
        content: "{{ question }}"
    variables: [product, question]     # optional; inferred when absent; when given, must match the template
    model: openai:gpt-4o-mini          # optional: provider:model, or a registry NAME@ref
    params: {temperature: 0.2, max_tokens: 256}   # optional model parameters (JSON values)
    response_schema:                   # optional JSON Schema for the response (checked as a schema)
      type: object
      properties: {answer: {type: string}}
    description: Answers support questions   # optional; describes the prompt, not one version

Exactly one of ``messages`` and ``template``; any other key is an error listing the valid ones.
Templates are Jinja2 (``{{ var }}``, ``{% if %}``, ``{% for %}``, filters). Errors in the file name
the file, the line and the field (``prompt.yaml:7: messages[1].content: template syntax error ...``).

Content identity: ``sha256:`` over the canonical JSON of template type, messages or template,
variables, model, params and response schema; the commit message (``--message``) and the
description are not part of it.

Rendering: a variable the template needs but was not given is an error naming it; variables given
but not used are ignored (so a whole dataset row can be passed). Template code cannot reach Python
internals: ``{{ ''.__class__ }}`` is refused when the version is created, and anything computed at
render time is stopped by the Jinja2 sandbox (an ``InvalidInput``).
"""

from genloop.prompts._diff import version_yaml
from genloop.prompts._schemas import (
    ChatMessage,
    FieldChange,
    PromptDiff,
    PromptInfo,
    PromptVersion,
    RenderedPrompt,
)
from genloop.prompts._service import PromptService
from genloop.prompts._spec import PromptSpec, build_spec, spec_from_yaml
from genloop.prompts._template import render_version
from genloop.prompts._yaml import load_variables_file

__all__ = [
    "ChatMessage",
    "FieldChange",
    "PromptDiff",
    "PromptInfo",
    "PromptService",
    "PromptSpec",
    "PromptVersion",
    "RenderedPrompt",
    "build_spec",
    "load_variables_file",
    "render_version",
    "spec_from_yaml",
    "version_yaml",
]
