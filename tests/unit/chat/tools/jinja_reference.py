#!/usr/bin/env python3
"""Regenerates jinja_reference_cases.inc: each case's expected output is what Python jinja2
renders in the Hugging Face chat-template environment (ImmutableSandboxedEnvironment,
trim_blocks, lstrip_blocks, loopcontrols, HF tojson, raise_exception, strftime_now fixed to
2024-07-26). Needs `pip install jinja2==3.1.2`.
Usage: python3 tools/jinja_reference.py > jinja_reference_cases.inc"""
import json
import sys
from datetime import datetime

import jinja2.ext
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise TemplateError(message)


env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda fmt: datetime(2024, 7, 26, 0, 0, 0).strftime(fmt)


def py(template, ctx):
    try:
        return "ok", env.from_string(template).render(**ctx)
    except TemplateError as e:
        if type(e) is TemplateError:
            return "raised", str(e)
        return "err", f"{type(e).__name__}: {e}"
    except Exception as e:  # noqa: BLE001 - any Python failure makes the case unusable
        return "err", f"{type(e).__name__}: {e}"


def cpp_str(s):
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append('\\x%02x""' % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def emit(name, cases):
    print(f"const render_case {name}[] = {{")
    for t, ctx in cases:
        kind, val = py(t, json.loads(ctx) if ctx else {})
        if kind == "err":
            raise SystemExit(f"python error for {t!r}: {val}")
        exp = val if kind == "ok" else "RAISED: " + val
        print(f"    {{{cpp_str(t)},\n     {cpp_str(ctx)},\n     {cpp_str(exp)}}},")
    print("};")
    print()


import json
C = lambda t, ctx="": (t, ctx)
MSGS = json.dumps({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo", "tool_calls": [{"function": {"name": "f", "arguments": {"b": 1, "a": [1, 2]}}}]}], "d": {"z": 1, "a": {"x": None}, "items": "key"}})
spec = {
"kWhitespaceCases": [
  C("a\n  {% if true %}\n    x\n  {% endif %}\nb"),
  C("a  {% if true %}x{% endif %}  b\n   {# comment #}\nc"),
  C("  {{ 'v' }}\n  {%- if true %} y {% endif -%}\n  z"),
  C("{% raw %}{{ not parsed }}{% endraw %}|{%- raw -%}  {{ x }}  {%- endraw -%}  |"),
  C("line\n    {% for i in [1, 2] %}\n    item {{ i }}\n    {% endfor %}\nend"),
  C("{%+ if true %}keep{% endif %}\n  {%+ if true %}keep2{% endif +%}\nnext"),
  C("{#- c -#}   x   {#- c #}\ny"),
  C("text {{- ' a ' -}} text"),
  C("{{ {'a': {'b': 1}} }}|{{ '{% not a tag %}' }}|{{ \"}}\" }}"),
  C("x\n{% if true %}\n\n{% endif %}\ny\n"),
  C("ends with two newlines\n\n"),
  C("crlf\r\nline\r\n{% if true %}\r\nin\r\n{% endif %}\r\n"),
  C("{# multi\nline\ncomment #}\nafter"),
  C("\t\t{% set x = 1 %}\n\t{{ x }}"),
  C("{% for i in [1, 2] -%}\n  {{ i }}\n{%- endfor %}"),
],
"kLiteralCases": [
  C("{{ \"a\\nb\\tc\\\\d\\'e\\\"f\" }}|{{ 'x\\u00e9\\x41\\101' }}|{{ '\\d\\q' }}"),
  C("{{ 'line\\\ncontinued' }}|{{ 'multi\nline' }}|{{ \"a\" 'b' \"c\" }}"),
  C("{{ 1_000 }} {{ 0x1F }} {{ 0b101 }} {{ 0o17 }} {{ 1e3 }} {{ 1.5e-3 }} {{ 2.0 }} {{ 0.5 }}"),
  C("{{ True }} {{ true }} {{ False }} {{ none }} {{ None }} {{ [none, true, false] }}"),
  C("{{ [1, 'a', 2.5, [], {}, (1,), (1, 2), ()] }} {{ {'k': 'v', 1: 2} }}"),
  C("{{ [\"it's\", 'say \"hi\"', 'both \\' \"', '\\n\\t\\x01\\x7f\\xa0\\u3000é😀'] }}"),
],
"kOperatorCases": [
  C("{{ 1 + 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ -7 % 3 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1 / 3 }} {{ 10 / 2 }}"),
  C("{{ 1e-5 }} {{ 1e16 }} {{ 1e15 }} {{ 0.1 + 0.2 }} {{ -0.0 }} {{ 1e22 }} {{ 123456789.123 }} {{ 3.0 * 2 }} {{ 1 / 7 }} {{ 2 ** 62 }}"),
  C("{{ -2 ** 2 }} {{ 2 ** 3 ** 2 }} {{ (2 + 3) * 4 }} {{ 10 - 2 - 3 }} {{ 2 * 3 % 4 }} {{ 1 + 2 * 3 }}"),
  C("{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' == 'a' }} {{ 1 != 2 }}"),
  C("{{ 'a' in 'abc' }} {{ 1 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }} {{ not 1 == 2 }} {{ 'x' in undefined_thing }}"),
  C("{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' and 'z' }} {{ [] or none }} {{ none or [] }} {{ not '' }}"),
  C("{{ 'a' ~ 1 ~ none ~ true ~ [1] ~ undefined_thing ~ 2.0 }} {{ 'x' * 3 }} {{ [1] * 2 }} {{ 3 * 'ab' }} {{ [1] + [2] }} {{ (1,) + (2,) }}"),
  C("{{ 'a' if true }}|{{ 'a' if false }}|{{ 'a' if false else 'b' }}|{{ 1 if 0 else 2 if 0 else 3 }}"),
  C("{{ not true and false }} {{ not (true and false) }} {{ - 3 }} {{ +3 }} {{ --3 }} {{ -(1.5) }}"),
  C("{{ 'x' + m['content'] | trim + 'y' }} {{ not flag | default(false) }}", '{"m": {"content": "  c  "}}'),
  C("{{ [1, 2] == [1, 2] }} {{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }} {{ [1] == (1,) }} {{ none == none }} {{ u1 == u2 }}"),
  C("{{ '%s and %d' % ('a', 3) }} {{ '%05.1f' % 3.14159 }} {{ '%x|%X|%o' % (255, 255, 8) }} {{ '%(a)s' % {'a': 'k'} }} {{ '%-5s|%5s' % ('ab', 'cd') }} {{ '%%' % () }}"),
],
"kAccessCases": [
  C("{% for m in messages %}{{ m.role }}:{{ m['content'] }}|{{ m.missing }}|{{ m.content.x }};{% endfor %}", MSGS),
  C("{{ d.items is defined }}|{{ d.items.type is defined }}|{{ d['items'] }}|{{ d.z }}|{{ d['a']['x'] }}|{{ d.a.x is none }}|{{ d.nope is defined }}", MSGS),
  C("{{ messages[-1].role }} {{ messages[5] }}|{{ messages[0]['role'] }} {{ messages.0.role }} {{ messages|length }}", MSGS),
  C("{{ 'abc'[1:] }} {{ 'abcdef'[::-2] }} {{ [1, 2, 3, 4][-2:] }} {{ 'héllo'[1:3] }} {{ 'héllo'[-1] }} {{ [1, 2, 3][:-1] }} {{ [1, 2, 3][::-1] }} {{ 'abc'[10:] }}|"),
  C("{{ (1, 2)[0] }} {{ 'abc'[0] }} {{ 'abc'.content }}|{{ none.x }}|{{ 5.x }}|"),
  C("{{ undefined_thing }}|{{ undefined_thing is defined }}|{% for x in undefined_thing %}{{ x }}{% else %}empty{% endfor %}|{{ undefined_thing|length }}|{{ undefined_thing|default('dflt') }}"),
  C("{{ messages[0].get('role') }} {{ messages[0].get('nope') }} {{ messages[0].get('nope', 'dflt') }} {{ messages[2].tool_calls[0].function.arguments|tojson }}", MSGS),
],
"kStatementCases": [
  C("{% if x > 1 %}big{% elif x == 1 %}one{% else %}small{% endif %}", '{"x": 1}'),
  C("{% for x in [1, 2, 3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}|{% endfor %}"),
  C("{% for x in [1, 2, 3] %}{{ loop.previtem }}-{{ loop.nextitem }}-{{ loop.cycle('a', 'b') }};{% endfor %}"),
  C("{% for x in [1, 2, 3, 4, 5] if x is odd %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% else %}none{% endfor %}"),
  C("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}|{% for x in [1] if x > 5 %}{{ x }}{% else %}filtered{% endfor %}"),
  C("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }},{% endfor %}{% for k, v in {'b': 1, 'a': 2}|dictsort %}{{ k }}{{ v }}{% endfor %}"),
  C("{% for k, v in d.items() if k != 'z' %}{{ k }}{{ loop.index }}{% endfor %}", MSGS),
  C("{% for x in range(10) %}{% if x == 5 %}{% break %}{% endif %}{% if x is even %}{% continue %}{% endif %}{{ x }}{% endfor %}"),
  C("{% for i in [1, 2] %}{% continue %}{% else %}else runs: no iteration reached the end{% endfor %}"),
  C("{% for x in [1, 2] %}{% for y in 'ab' %}{{ loop.index }}{{ y }}{% endfor %}{{ loop.index }}{% endfor %}"),
  C("{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}{% for i in [1] %}{% set x = 3 %}{{ x }}{% endfor %}{{ x }}"),
  C("{% set ns = namespace(a=1, found=false) %}{% for i in range(3) %}{% set ns.a = ns.a + i %}{% if i == 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.a }}{{ ns.found }}"),
  C("{% set ns = namespace() %}{% set ns.x = 5 %}{{ ns.x }}{{ ns.y }}|{{ ns }}"),
  C("{% set x %}  block {{ 1 }} {% endset %}[{{ x }}]{% set y | trim | upper %}  padded  {% endset %}[{{ y }}]"),
  C("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = (3, 4) %}{% set c, d = t %}{{ c + d }}"),
  C("{% macro m(a, b=2, c='x') %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 3) }} {{ m(1, c='y') }} {{ m(a=5) }} {{ m() }}"),
  C("{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, x=3) }}"),
  C("{% macro m(x) %}[{{ caller(x) }}]{% endmacro %}{% call(y) m(5) %}got {{ y }}{% endcall %}{% macro n() %}<{{ caller() }}>{% endmacro %}{% call n() %}no args{% endcall %}"),
  C("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}"),
  C("{% macro show() %}{{ top }}{{ loop_local }}{% endmacro %}{% set top = 'T1' %}{{ show() }}{% set top = 'T2' %}{% for i in [1] %}{% set loop_local = 'L' %}{{ show() }}{% endfor %}"),
  C("{% macro fmt(v, escape_keys=True) %}{{ v }}{{ escape_keys }}{% endmacro %}{{ fmt(1, escape_keys=False) }} {{ fmt }}"),
  C("{% filter upper %}hello {{ 'x' }}{% endfilter %}|{% filter trim %}   padded   {% endfilter %}|"),
  C("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}|"),
  C("{% for x in [1, [2, [3]]] recursive %}{% if x is iterable %}({{ loop(x) }}){% else %}{{ x }}@{{ loop.depth }}{% endif %}{% endfor %}"),
  C("{% for c in 'héllo' %}{{ c }}.{% endfor %}|{% for k in {'b': 1, 'a': 2} %}{{ k }}{% endfor %}|{% for a, b in [[1, 2], (3, 4)] %}{{ a * b }}{% endfor %}"),
  C("{% for i in [1, 2, 3] %}{% macro m() %}{{ i }}{{ x }}{% endmacro %}{% set x = 'late' %}{{ m() }}{% endfor %}"),
  C("{% for m in messages %}{% if loop.first and m.role == 'system' %}{% set ns = none %}S{% endif %}{{ m.role[0] }}{% endfor %}", MSGS),
],
"kFilterCases": [
  C("{{ [3, 1, 2]|sort }} {{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ [3, 1, 2]|sort(reverse=true) }}"),
  C("{{ [{'n': 2, 'm': 'b'}, {'n': 1, 'm': 'a'}]|sort(attribute='n') }} {{ [{'a': 1, 'b': 2}, {'a': 1, 'b': 1}]|sort(attribute='a,b') }}"),
  C("{{ {'b': 1, 'A': 2, 'c': 0}|dictsort }} {{ {'b': 1, 'A': 2, 'c': 0}|dictsort(true) }} {{ {'b': 1, 'A': 2, 'c': 0}|dictsort(by='value', reverse=true) }}"),
  C("{{ [1, 2, 3]|join(',') }} {{ [1, none, 'a']|join }} {{ [{'n': 'x'}, {'n': 'y'}]|join('-', attribute='n') }} {{ 'abc'|join('.') }}"),
  C("{{ [1, 2, 3]|sum }} {{ [1.5, 2]|sum(start=10) }} {{ [{'v': 2}, {'v': 3}]|sum(attribute='v') }} {{ [1, 3, 2]|max }} {{ ['a', 'B']|min }} {{ ['a', 'B']|max(case_sensitive=true) }}"),
  C("{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ 'abc'|first }} {{ []|first }}|{{ [1, 1, 2, 'A', 'a']|unique|list }} {{ [1, 2]|list }} {{ 'ab'|list }} {{ {'a': 1}|list }}"),
  C("{{ 'hello world'|title }} {{ 'hello WORLD'|capitalize }} {{ '  x  '|trim }} {{ 'xxaxx'|trim('x') }} {{ 'a-b c(d'|title }} {{ 'ÄÖü straße'|upper }} {{ 'ΟΔΟΣ'|lower }}"),
  C("{{ 'a b c'|replace(' ', '_') }} {{ 'a a a'|replace('a', 'b', 2) }} {{ 'abc'|replace('', '-') }} {{ 'ABC'|lower }} {{ 5|string }} {{ none|string }} {{ [1]|string }}"),
  C("{{ [1, 2, 3]|map('string')|join }} {{ [{'a': 1}, {'b': 2}]|map(attribute='a', default=0)|list }} {{ ['a', 'b']|map('upper')|list }} {{ ['a']|map('replace', 'a', 'z')|list }}"),
  C("{{ [1, 2, 3, 4]|select('even')|list }} {{ [1, 2, 3, 4]|reject('even')|list }} {{ [0, 1, '', 2]|select|list }} {{ ['code', 'x']|reject('equalto', 'code')|list }}"),
  C("{{ [{'r': 'u'}, {'r': 'a'}]|selectattr('r', 'equalto', 'u')|list }} {{ [{'r': 'u'}, {'x': 1}]|selectattr('r')|list }} {{ [{'r': 'u'}, {'r': 'a'}]|rejectattr('r', 'in', ['u'])|list }}"),
  C("{{ 'x'|default('d') }} {{ undefined_thing|default('d') }} {{ ''|default('d') }} {{ ''|default('d', true) }} {{ none|d('n', true) }} {{ undefined_thing|d }}|"),
  C("{{ 'a\nb\n\nc'|indent }}|{{ 'a\nb\n\nc'|indent(2, true) }}|{{ 'a\nb\n\nc'|indent(2, first=true, blank=true) }}|{{ 'a\nb'|indent('> ') }}|{{ '{\n    \"x\": 1\n}'|indent(8) }}"),
  C("{{ '42'|int }} {{ '42.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ '0x1F'|int(base=16) }} {{ 3.9|int }} {{ true|int }} {{ '3.5'|float }} {{ 'abc'|float }} {{ 3|float }} {{ ' 1_000 '|int }}"),
  C("{{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 1234|round(-2) }} {{ 2.1|round(0, 'ceil') }} {{ 2.9|round(method='floor') }} {{ 5|round }} {{ -3|abs }} {{ (-3.5)|abs }}"),
  C("{{ 'abc'|length }} {{ 'héllo'|length }} {{ [1, 2]|count }} {{ {'a': 1}|length }} {{ 'hello world foo'|wordcount }} {{ 'abc'|center(9) }}|{{ 'abcd'|center(9) }}|"),
  C("{{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3, 4, 5]|batch(2, 0)|list }} {{ [1, 2, 3, 4, 5]|slice(2)|list }} {{ [1, 2, 3]|reverse|list }} {{ 'abc'|reverse }}"),
  C("{{ {'a': 1, 'b': [2]}|items|list }} {% for k, v in {'x': 1}|items %}{{ k }}{{ v }}{% endfor %} {{ undefined_thing|items|list }}"),
  C("{{ '<a href=\"x\">&amp;</a>'|striptags }} {{ '<b>'|e }} {{ '<b>'|escape + '<i>' }} {{ ['x'|safe] }} {{ 'a b/c'|urlencode }} {{ {'a': 'x y'}|urlencode }}"),
  C("{{ 'foo bar baz qux'|truncate(9) }} {{ 'foo bar baz qux'|truncate(9, true) }} {{ 'short'|truncate(3) }} {{ '%s-%s'|format('a', 1) }} {{ [{'g': 'x', 'v': 1}, {'g': 'y', 'v': 2}, {'g': 'x', 'v': 3}]|groupby('g') }}"),
  C("{{ [1, 2]|map('int') is iterable }} {{ [1, 2]|select('odd') is sequence }} {{ []|select is true }} {% if []|select %}generators are truthy{% endif %}"),
  C("{{ 1000|filesizeformat }} {{ 1500000|filesizeformat }} {{ 1024|filesizeformat(true) }} {{ {'b': 1, 'a': [1, {'d': 2, 'c': 3}]}|pprint }} {{ 'a'|attr('upper') is callable }}"),
],
"kTestCases": [
  C("{{ x is defined }} {{ none is none }} {{ 'a' is string }} {{ 1 is number }} {{ true is number }} {{ true is integer }} {{ 1 is integer }} {{ 1.0 is float }} {{ {} is mapping }} {{ [] is mapping }}"),
  C("{{ [] is iterable }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ {} is iterable }} {{ undefined_thing is iterable }} {{ {} is sequence }} {{ 'a' is sequence }} {{ 1 is sequence }} {{ undefined_thing is sequence }}"),
  C("{{ 3 is divisibleby 3 }} {{ 4 is even }} {{ 3 is odd }} {{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 1 is ne 2 }} {{ 1 is lt 2 }} {{ 2 is le 2 }} {{ 3 is gt 2 }} {{ 2 is ge 3 }} {{ 1 is in [1] }}"),
  C("{{ 'ab' is lower }} {{ 'AB' is upper }} {{ false is false }} {{ true is true }} {{ 1 is true }} {{ 1 is boolean }} {{ true is boolean }} {{ x is undefined }} {{ none is not none }} {{ not x is defined }}"),
  C("{{ 'upper' is filter }} {{ 'nope' is filter }} {{ 'odd' is test }} {{ range is callable }} {{ 'x' is callable }} {{ none is sameas none }} {{ 1 is sameas 1 }}"),
],
"kMethodCases": [
  C("{{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ '  a  b  '.split(None, 1) }} {{ ''.split() }}"),
  C("{{ '  x '.strip() }}|{{ 'xxyxx'.lstrip('x') }}|{{ 'abc'.rstrip('c') }}|{{ '\\n\\nx\\n'.strip('\\n') }}|{{ '\\u3000x\\xa0'.strip() }}|"),
  C("{{ 'abc'.startswith('a') }} {{ 'abc'.startswith(('x', 'ab')) }} {{ 'abc'.endswith('bc') }} {{ 'abc'.startswith('b', 1) }} {{ 'abc'.find('c') }} {{ 'héllo'.find('l') }} {{ 'abc'.rfind('z') }} {{ 'aaa'.count('a') }}"),
  C("{{ 'Hello'.upper() }} {{ 'Hello'.lower() }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }} {{ 'Hi'.swapcase() }} {{ '123'.isdigit() }} {{ 'ab'.isalpha() }} {{ ' '.isspace() }} {{ 'Ab'.istitle() }}"),
  C("{{ ','.join(['a', 'b']) }} {{ 'a{}b{}'.format(1, 'x') }} {{ '{0}-{0}'.format('x') }} {{ '{name}!'.format(name='n') }} {{ '{:>6.2f}|{:<4}|{:^5}|{:03d}'.format(3.14159, 'ab', 'c', 7) }}"),
  C("{{ 'abc'.replace('b', 'B') }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'x'.center(5, '*') }} {{ 'x'.ljust(3, '.') }} {{ 'x'.rjust(3) }} {{ '42'.zfill(5) }} {{ 'a,b'.partition(',') }} {{ 'a\\nb'.splitlines() }}"),
  C("{{ {'a': 1}.items() }} {{ {'a': 1}.keys() }} {{ {'a': 1}.values() }} {{ {'a': 1}.get('a') }} {{ {'a': 1}.get('b') }} {{ {'a': 1}.get('b', 5) }} {{ [1, 2, 1].count(1) }} {{ [1, 2].index(2) }}"),
  C("{{ 'prefix-x'.removeprefix('prefix-') }} {{ 'x.py'.removesuffix('.py') }} {{ 'ß'.upper() }} {{ 'İ'.lower()|length }}"),
],
"kTojsonCases": [
  C("{{ {'a': 1, 'b': [1, 2.5, none, true], 'c': 'é\"\\n<>&\\'/'}|tojson }}"),
  C("{{ [1, {'x': {}}, []]|tojson(indent=2) }}|{{ {'a': [1]}|tojson(indent=0) }}|{{ {'a': 1}|tojson(indent='\\t') }}"),
  C("{{ 'é😀\\x01'|tojson(ensure_ascii=true) }} {{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }} {{ [1, 2]|tojson(separators=(',', ':')) }} {{ {'a': 1}|tojson(indent=1, separators=(',', ' = ')) }}"),
  C("{{ 'abc'|tojson }} {{ 1.0|tojson }} {{ 1e20|tojson }} {{ {1: 2, true: 3, none: 4, 1.5: 5}|tojson }} {{ (1, 2)|tojson }}"),
  C("{{ messages|tojson }}", MSGS),
],
"kGlobalCases": [
  C("{{ range(5)|list }} {{ range(1, 10, 3)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }} {{ range(3) }} {{ range(3)|length }} {{ 2 in range(3) }}"),
  C("{% set d = dict(a=1, b=2) %}{{ d }} {{ dict({'x': 1}, y=2) }} {{ namespace(x=1).x }} {{ namespace({'y': 2}).y }}"),
  C("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%B %d, %Y') }}|{{ strftime_now('%A %a %j %U %W %V %G %w %u') }}|{{ strftime_now('%c|%x|%X|%p|%I|%H:%M:%S|%y|%e|%%') }}"),
  C("{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{{ c.current }}{% set j = joiner('|') %}{% for i in [1, 2, 3] %}{{ j() }}{{ i }}{% endfor %}"),
  C("before{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}after"),
  C("{% if messages[0].role != 'user' %}{{ raise_exception('bad role ' ~ messages[0].role) }}{% endif %}", MSGS),
],
}

if __name__ == "__main__":
    print("// Generated by tools/jinja_reference.py from Python jinja2 " + jinja2.__version__ + "; do not edit.")
    print("// Each case: template, JSON context, expected output (\"RAISED: msg\" for raise_exception).")
    print()
    for table, cases in spec.items():
        emit(table, cases)
