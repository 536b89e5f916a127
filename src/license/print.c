/* print.c - a parsed SPDX expression as normalised text and as JSON; tree equality. */
#include "license/license.h"

#include "core/cjson.h"

#include <stdio.h>
#include <string.h>

static int
put_exception(const ex_license *l, const ex_lnode *n, ex_buf *b)
{
    if (n->exc == EX_LN_NONE)
        return EX_OK;
    int rc = ex_buf_puts(b, " WITH ");
    if (rc != EX_OK)
        return rc;
    if (n->exc == EX_LN_EREF)
        return ex_buf_put(b, l->text + n->eref, n->eref_len);
    return ex_buf_puts(b, ex_spdx_list[n->exc].id);
}

static int
put_node(const ex_license *l, uint16_t i, ex_buf *b)
{
    const ex_lnode *n = &l->nodes[i];
    int rc = EX_OK;
    switch (n->kind) {
    case EX_LN_LICENSE:
        rc = ex_buf_puts(b, ex_spdx_list[n->id].id);
        if (rc == EX_OK && n->plus)
            rc = ex_buf_putc(b, '+');
        break;
    case EX_LN_REF: rc = ex_buf_put(b, l->text + n->ref, n->ref_len); break;
    case EX_LN_EXCEPTION:
        return n->exc == EX_LN_EREF ? ex_buf_put(b, l->text + n->eref, n->eref_len)
                                    : ex_buf_puts(b, ex_spdx_list[n->exc].id);
    case EX_LN_SPECIAL: return ex_buf_puts(b, n->id ? "NOASSERTION" : "NONE");
    default:
        for (uint16_t c = n->child; c != EX_LN_NONE && rc == EX_OK; c = l->nodes[c].next) {
            /* operands are never the same operator (n-ary), so only an OR inside an AND
             * needs parentheses */
            int paren = n->kind == EX_LN_AND && l->nodes[c].kind == EX_LN_OR;
            if (c != n->child)
                rc = ex_buf_puts(b, n->kind == EX_LN_AND ? " AND " : " OR ");
            if (rc == EX_OK && paren)
                rc = ex_buf_putc(b, '(');
            if (rc == EX_OK)
                rc = put_node(l, c, b);
            if (rc == EX_OK && paren)
                rc = ex_buf_putc(b, ')');
        }
        return rc;
    }
    return rc == EX_OK ? put_exception(l, n, b) : rc;
}

int
ex_license_normalize(const ex_license *l, ex_buf *out)
{
    return put_node(l, l->root, out);
}

int
ex_license_member_normalize(const char *arg, ex_buf *out, ex_license_err *err)
{
    ex_license *l;
    int rc = ex_license_parse_mode(arg, strlen(arg), 1, &l, err);
    if (rc != EX_OK)
        return rc;
    rc = put_node(l, l->root, out);
    ex_license_free(l);
    return rc;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static json_t *node_json(const ex_license *l, uint16_t i);

static int
set_str(json_t *o, const char *key, const char *s, size_t len)
{
    return json_object_set_new(o, key, json_stringn(s, len));
}

/* operands c, next(c), ... of a conjunction, nested to the right */
static json_t *
chain_json(const ex_license *l, uint16_t c, const char *conj)
{
    if (l->nodes[c].next == EX_LN_NONE)
        return node_json(l, c);
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (json_object_set_new(o, "left", node_json(l, c)) != 0 ||
        json_object_set_new(o, "conjunction", json_string(conj)) != 0 ||
        json_object_set_new(o, "right", chain_json(l, l->nodes[c].next, conj)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *
node_json(const ex_license *l, uint16_t i)
{
    const ex_lnode *n = &l->nodes[i];
    if (n->kind == EX_LN_AND || n->kind == EX_LN_OR)
        return chain_json(l, n->child, n->kind == EX_LN_AND ? "and" : "or");
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0;
    switch (n->kind) {
    case EX_LN_LICENSE:
        bad |= json_object_set_new(o, "license", json_string(ex_spdx_list[n->id].id));
        if (n->plus)
            bad |= json_object_set_new(o, "plus", json_true());
        break;
    case EX_LN_REF: bad |= set_str(o, "license", l->text + n->ref, n->ref_len); break;
    case EX_LN_EXCEPTION: break; /* the exception is set below */
    default:
        bad |= json_object_set_new(o, "license", json_string(n->id ? "NOASSERTION" : "NONE"));
        break;
    }
    if (n->exc == EX_LN_EREF)
        bad |= set_str(o, "exception", l->text + n->eref, n->eref_len);
    else if (n->exc != EX_LN_NONE)
        bad |= json_object_set_new(o, "exception", json_string(ex_spdx_list[n->exc].id));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *
ex_license_to_json(const ex_license *l)
{
    return node_json(l, l->root);
}

/* ---- equality ---------------------------------------------------------------------------- */

static int
same_text(const ex_license *a, uint16_t ao, uint16_t al, const ex_license *b, uint16_t bo,
          uint16_t bl)
{
    return al == bl && memcmp(a->text + ao, b->text + bo, al) == 0;
}

static int
node_equal(const ex_license *a, uint16_t i, const ex_license *b, uint16_t j)
{
    const ex_lnode *x = &a->nodes[i], *y = &b->nodes[j];
    if (x->kind != y->kind)
        return 0;
    if (x->kind == EX_LN_AND || x->kind == EX_LN_OR) {
        uint16_t c = x->child, d = y->child;
        for (; c != EX_LN_NONE && d != EX_LN_NONE; c = a->nodes[c].next, d = b->nodes[d].next)
            if (!node_equal(a, c, b, d))
                return 0;
        return c == EX_LN_NONE && d == EX_LN_NONE;
    }
    if (x->kind == EX_LN_REF && !same_text(a, x->ref, x->ref_len, b, y->ref, y->ref_len))
        return 0;
    if (x->kind != EX_LN_REF && x->id != y->id)
        return 0;
    if (x->plus != y->plus || x->exc != y->exc)
        return 0;
    return x->exc != EX_LN_EREF || same_text(a, x->eref, x->eref_len, b, y->eref, y->eref_len);
}

int
ex_license_equal(const ex_license *a, const ex_license *b)
{
    return node_equal(a, a->root, b, b->root);
}

/* ---- the parse as one document (exante.h) ------------------------------------------------ */

int
ex_license_parse_json_dup(const char *s, size_t len, char **json, size_t *json_len,
                          ex_license_err *err)
{
    ex_license *l = NULL;
    ex_buf b = {0};
    json_t *j = NULL, *dep = NULL, *tree = NULL;
    int rc = ex_license_parse(s, len, &l, err);
    if (rc != EX_OK)
        goto out;
    if ((rc = ex_license_normalize(l, &b)) != EX_OK)
        goto oom;
    j = json_object();
    dep = json_array();
    tree = ex_license_to_json(l);
    if (!j || !dep || !tree)
        goto oom;
    int ndep = ex_license_deprecated(l, NULL);
    for (int i = 0; i < ndep; i++)
        if (json_array_append_new(dep, json_string(ex_license_deprecated_id(l, i))) != 0)
            goto oom;
    /* set_new takes its value even when it fails */
    int bad = json_object_set_new(j, "expression", json_stringn(b.data, b.len));
    bad |= json_object_set_new(j, "tree", tree);
    bad |= json_object_set_new(j, "deprecated", dep);
    tree = dep = NULL;
    if (bad)
        goto oom;
    ex_err e = {0};
    rc = ex_json_canonical_dup(j, json, json_len, &e);
    if (rc != EX_OK && err) {
        err->column = 0;
        snprintf(err->msg, sizeof err->msg, "%s", e.msg);
    }
    goto out;
oom:
    rc = EX_ENOMEM;
    if (err) {
        err->column = 0;
        snprintf(err->msg, sizeof err->msg, "out of memory");
    }
out:
    json_decref(tree);
    json_decref(dep);
    json_decref(j);
    ex_buf_free(&b);
    ex_license_free(l);
    return rc;
}
