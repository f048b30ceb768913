"""What the spec extraction tools share: dropping `examples`, and keeping only
the components an extracted set of operations reaches."""


def strip_examples(o):
    """The document without `examples` members (the vendors' shared error
    responses carry many that are unrelated to the operations kept)."""
    if isinstance(o, dict):
        return {k: strip_examples(v) for k, v in o.items() if k != 'examples'}
    if isinstance(o, list):
        return [strip_examples(v) for v in o]
    return o


def refs(o, out):
    """Adds every `$ref` in `o` to the set `out`."""
    if isinstance(o, dict):
        for k, v in o.items():
            if k == '$ref':
                out.add(v)
            else:
                refs(v, out)
    elif isinstance(o, list):
        for v in o:
            refs(v, out)


def prune(paths, comp, kinds, drop_empty=False):
    """Keeps in `comp[kind]`, for each of `kinds`, only what `paths` reach,
    directly or through other components; with `drop_empty`, a kind left
    empty goes."""
    reached, todo = set(), set()
    refs(paths, todo)
    while todo:
        r = todo.pop()
        if r in reached:
            continue
        reached.add(r)
        _, _, kind, name = r.split('/')
        refs(comp[kind][name], todo)
    for kind in kinds:
        comp[kind] = {n: v for n, v in comp[kind].items() if f'#/components/{kind}/{n}' in reached}
        if drop_empty and not comp[kind]:
            del comp[kind]
