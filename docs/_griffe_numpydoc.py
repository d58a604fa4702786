"""A Griffe extension for the API pages: numpydoc habits that Griffe renders badly.

- Sphinx roles (``:class:`SequencePadder```, ``:func:`~skattn.kernels.transformer```)
  become plain code spans instead of showing the role's name.
- One numpydoc entry may document several parameters (``w_std, b_std : float``);
  Griffe gives every name the default of the first. Each name gets the default of
  its own signature instead.
- A type with options or commas (``{"softmax", "identity"}``, ``int or "auto"``,
  ``str, joblib.Memory or None``) would show as a tuple without quotes (and a set
  of options would take its first as the default); it shows as written.

Used by ``mkdocs.yml`` only; nothing in the package imports it.
"""

import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|obj|data|exc):`~?([^`]+)`")
ENTRY = re.compile(r"^\s*(\w+) : (.+)$", re.M)


def written_types(docstring):
    """``name -> type`` of the entries whose type has options, quotes or commas."""
    types = {name: entry.rpartition(", default=")[0] or entry
             for name, entry in ENTRY.findall(docstring)}
    return {name: kind for name, kind in types.items() if any(c in kind for c in '{",')}


class NumpydocForMkdocs(griffe.Extension):
    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(r"`\1`", obj.docstring.value)

    def on_package(self, *, pkg, **kwargs):
        self._fix_defaults(pkg, set())

    def _fix_defaults(self, obj, seen):
        if obj.path in seen:
            return
        seen.add(obj.path)
        # Dataclasses get their __init__ only later (Griffe's own extension): parsing
        # their docstrings now would report their fields as unknown parameters.
        dataclass = obj.is_class and "dataclass" in obj.labels
        signature = getattr(obj, "parameters", None) \
            if (obj.is_class or obj.is_function) and not dataclass else None
        if obj.docstring is not None and signature is not None:
            written = written_types(obj.docstring.value)
            for section in obj.docstring.parsed:
                if section.kind is griffe.DocstringSectionKind.parameters:
                    for item in section.value:
                        if item.name in signature:
                            item.value = signature[item.name].default
                        if item.name in written:
                            item.annotation = written[item.name]
        for member in obj.members.values():
            if not member.is_alias:
                self._fix_defaults(member, seen)
