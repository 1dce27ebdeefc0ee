"""``.. lstmx-cli::``: the ``lstmx`` command's page, generated from its argument parser.

The directive walks ``lstmx.cli.build_parser()``: a section for each subcommand (and for each of
its own subcommands), with its description, its usage line as argparse prints it, and each
argument with the help text that ``lstmx COMMAND --help`` shows (defaults included, by the
parser's own formatter). So the page cannot drift from the command.

Chosen over sphinx-argparse: the help strings are written for a terminal, and sphinx-argparse
parses them as reStructuredText (a ``*`` in ``*-ud-{train,dev,test}.conllu`` becomes a warning, so
an error under ``-W``); here they are kept as plain text. It also needs no other package.
"""
import argparse

from docutils import nodes
from docutils.parsers.rst import Directive


def _subcommands(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _text_paragraph(text):
    """Terminal text as it is: no markup, and no smart quotes ("--help" keeps its two hyphens)."""
    paragraph = nodes.paragraph(text, text)
    paragraph["support_smartquotes"] = False
    return paragraph


class CommandLine(Directive):
    has_content = False

    def run(self):
        from lstmx.cli import build_parser
        parser = build_parser()
        out = [self._usage(parser), self._arguments(parser)]
        if parser.epilog:
            out.append(_text_paragraph(parser.epilog))
        common = {s for a in parser._actions for s in a.option_strings}   # --debug: said once, at the top
        out += self._commands(parser, "lstmx", common)
        return out

    def _commands(self, parser, prog, common):
        sub = _subcommands(parser)
        if sub is None:
            return []
        helps = {a.dest: a.help for a in sub._choices_actions}
        sections = []
        for name, child in sub.choices.items():
            title = f"{prog} {name}"
            section = nodes.section(ids=[nodes.make_id("cli " + title)], names=[nodes.fully_normalize_name(title)])
            section += nodes.title(title, "", nodes.literal(title, title))
            section += _text_paragraph(child.description or helps.get(name) or "")
            section += self._usage(child)
            arguments = self._arguments(child, skip=common)
            if len(arguments):
                section += arguments
            if child.epilog:
                section += _text_paragraph(child.epilog)
            section += self._commands(child, title, common)
            self.state.document.note_implicit_target(section)
            sections.append(section)
        return sections

    @staticmethod
    def _usage(parser):
        usage = parser.format_usage().strip()
        usage = usage[len("usage: "):] if usage.startswith("usage: ") else usage
        block = nodes.literal_block(usage, usage, classes=["lstmx-cli-usage"])
        block["language"] = "text"      # a usage line, not Python: no highlighting
        return block

    @staticmethod
    def _arguments(parser, skip=()):
        formatter = parser._get_formatter()
        items = nodes.definition_list(classes=["lstmx-cli-options"])
        for action in parser._actions:
            if action.help is argparse.SUPPRESS or isinstance(action, (argparse._HelpAction,
                                                                       argparse._SubParsersAction)):
                continue
            if action.option_strings and set(action.option_strings) <= set(skip):
                continue
            invocation = formatter._format_action_invocation(action)
            help_text = formatter._expand_help(action) if action.help else ""
            if action.choices is not None and not isinstance(action.choices, dict) and "{" not in invocation:
                help_text += f" (one of: {', '.join(map(str, action.choices))})"
            if action.required and action.option_strings:
                help_text += " (required)"
            term = nodes.term("", "", nodes.literal(invocation, invocation))
            items += nodes.definition_list_item("", term, nodes.definition("", _text_paragraph(help_text)))
        return items


def setup(app):
    app.add_directive("lstmx-cli", CommandLine)
    return {"parallel_read_safe": True}
