// simdjson's DOM parse behind the two C calls bench/parsers.c makes: a
// validation, and a jansson tree built from the DOM (as a daemon using
// simdjson for proofs and jansson for trees would do).  Benchmark only.
#include <jansson.h>
#include <simdjson.h>

static simdjson::dom::parser parser;

extern "C" int
sj_check(const char *b, size_t n)
{
	simdjson::dom::element e;

	return parser.parse(b, n, true).get(e) != simdjson::SUCCESS;
}

static json_t *
sj_tree(simdjson::dom::element e)
{
	switch (e.type()) {
	case simdjson::dom::element_type::OBJECT: {
		json_t *o = json_object();
		for (auto f : simdjson::dom::object(e))
			json_object_setn_new_nocheck(o, f.key.data(),
			    f.key.size(), sj_tree(f.value));
		return o;
	}
	case simdjson::dom::element_type::ARRAY: {
		json_t *a = json_array();
		for (auto v : simdjson::dom::array(e))
			json_array_append_new(a, sj_tree(v));
		return a;
	}
	case simdjson::dom::element_type::STRING: {
		std::string_view s = e.get_string();
		return json_stringn_nocheck(s.data(), s.size());
	}
	case simdjson::dom::element_type::INT64:
		return json_integer(int64_t(e));
	case simdjson::dom::element_type::UINT64:
		return json_real(double(uint64_t(e)));
	case simdjson::dom::element_type::DOUBLE:
		return json_real(double(e));
	case simdjson::dom::element_type::BOOL:
		return json_boolean(bool(e));
	default:
		return json_null();
	}
}

extern "C" json_t *
sj_load(const char *b, size_t n)
{
	simdjson::dom::element e;

	if (parser.parse(b, n, true).get(e) != simdjson::SUCCESS)
		return NULL;
	return sj_tree(e);
}
