package cql2

import "strings"

// String renders the operand as CQL2 text: a property name (double-quoted
// unless it is a plain identifier) or a literal.
func (o Operand) String() string {
	if o.IsProp() {
		return propText(o.Prop)
	}
	return literalText(o.Value)
}

func propText(name string) string {
	plain := name != "" && isIdentStart(name[0]) && !reserved[strings.ToUpper(name)] && !isGeometryKeyword(name)
	for i := 0; plain && i < len(name); i++ {
		plain = isIdentPart(name[i])
	}
	if plain {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func (e *Logic) String() string {
	sep := " AND "
	if e.Op == Or {
		sep = " OR "
	}
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
		if _, ok := a.(*Logic); ok {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, sep)
}

func (e *Not) String() string {
	if _, ok := e.X.(*Logic); ok {
		return "NOT (" + e.X.String() + ")"
	}
	return "NOT " + e.X.String()
}

func (e *Compare) String() string { return e.L.String() + " " + e.Op.String() + " " + e.R.String() }

func (e *In) String() string {
	parts := make([]string, len(e.List))
	for i, o := range e.List {
		parts[i] = o.String()
	}
	return e.X.String() + " IN (" + strings.Join(parts, ", ") + ")"
}

func (e *Between) String() string {
	return e.X.String() + " BETWEEN " + e.Lo.String() + " AND " + e.Hi.String()
}

func (e *Like) String() string { return e.X.String() + " LIKE " + literalText(e.Pattern) }

func (e *IsNull) String() string { return propText(e.Prop) + " IS NULL" }

func (e *Intersects) String() string {
	return "S_INTERSECTS(" + propText(e.Prop) + ", " + geometryText(e.Geom) + ")"
}
