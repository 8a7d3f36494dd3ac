//! \file plugingen/expr.h
//! Run-time int64 helpers used by code that plugingen/expr.py emits.
//! Division and modulo follow Python (floor) semantics; a zero divisor or a negative exponent throws
//! std::domain_error and an INT64_MIN / -1 or power overflow throws std::overflow_error (the plugin catches both at
//! the ABI boundary).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace plugingen
{

namespace detail
{
inline void checkDivisor(int64_t a, int64_t b, char const* where)
{
    if (b == 0)
    {
        throw std::domain_error(std::string("division by zero in ") + where);
    }
    if (b == -1 && a == std::numeric_limits<int64_t>::min())
    {
        throw std::overflow_error(std::string("int64 overflow in ") + where);
    }
}

inline int64_t checkedMul(int64_t a, int64_t b, char const* where)
{
    __int128 const product = __int128{a} * b;
    if (product > std::numeric_limits<int64_t>::max() || product < std::numeric_limits<int64_t>::min())
    {
        throw std::overflow_error(std::string("int64 overflow in ") + where);
    }
    return static_cast<int64_t>(product);
}
} // namespace detail

//! Python's a // b.
inline int64_t floordiv(int64_t a, int64_t b)
{
    detail::checkDivisor(a, b, "plugingen::floordiv");
    int64_t const q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

//! Python's -(-a // b), i.e. ceil(a / b).
inline int64_t ceildiv(int64_t a, int64_t b)
{
    detail::checkDivisor(a, b, "plugingen::ceildiv");
    int64_t const q = a / b;
    return (a % b != 0 && ((a < 0) == (b < 0))) ? q + 1 : q;
}

//! Python's a % b (the result takes the sign of b).
inline int64_t mod(int64_t a, int64_t b)
{
    if (b == 0)
    {
        throw std::domain_error("division by zero in plugingen::mod");
    }
    if (b == -1)
    {
        return 0; // a % -1 is 0; avoids the INT64_MIN % -1 trap
    }
    int64_t const r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

//! Python's base ** exp, for exp >= 0 and a result in int64.
inline int64_t ipow(int64_t base, int64_t exp)
{
    if (exp < 0)
    {
        throw std::domain_error("negative exponent in plugingen::ipow");
    }
    int64_t result = 1;
    while (true) // square and multiply; base is squared only while exponent bits remain, so any overflow is real
    {
        if (exp & 1)
        {
            result = detail::checkedMul(result, base, "plugingen::ipow");
        }
        exp >>= 1;
        if (exp == 0)
        {
            return result;
        }
        base = detail::checkedMul(base, base, "plugingen::ipow");
    }
}

//! Every value an expression can take over a box of inputs: [lo, hi] (interval arithmetic, for sound bounds).
struct Range
{
    int64_t lo;
    int64_t hi;

    static Range exactly(int64_t v)
    {
        return {v, v};
    }
};

//! Triton's next_power_of_2: the smallest power of two >= n (0 for n <= 0; INT64_MIN for n > 2^62).
inline int64_t nextPowerOf2(int64_t n)
{
    uint64_t v = static_cast<uint64_t>(n) - 1;
    for (int shift : {1, 2, 4, 8, 16, 32})
    {
        v |= v >> shift;
    }
    return n <= 0 ? 0 : static_cast<int64_t>(v + 1);
}

//! Interval versions of the grammar's operators (`plugingen/expr.h`'s int64 ones, and Python's semantics).
namespace range
{
namespace detail
{
inline Range corners(int64_t a, int64_t b, int64_t c, int64_t d)
{
    return {std::min({a, b, c, d}), std::max({a, b, c, d})};
}

inline void checkDivisor(Range b, char const* where)
{
    if (b.lo <= 0 && b.hi >= 0)
    {
        throw std::domain_error(std::string("cannot bound ") + where + ": the divisor's range ["
            + std::to_string(b.lo) + ", " + std::to_string(b.hi) + "] includes 0");
    }
}

inline int64_t checked(__int128 v)
{
    if (v > std::numeric_limits<int64_t>::max() || v < std::numeric_limits<int64_t>::min())
    {
        throw std::overflow_error("int64 overflow in a bound");
    }
    return static_cast<int64_t>(v);
}
} // namespace detail

inline Range add(Range a, Range b)
{
    return {detail::checked(__int128{a.lo} + b.lo), detail::checked(__int128{a.hi} + b.hi)};
}

inline Range sub(Range a, Range b)
{
    return {detail::checked(__int128{a.lo} - b.hi), detail::checked(__int128{a.hi} - b.lo)};
}

inline Range neg(Range a)
{
    return sub(Range::exactly(0), a);
}

inline Range mul(Range a, Range b)
{
    return detail::corners(detail::checked(__int128{a.lo} * b.lo), detail::checked(__int128{a.lo} * b.hi),
        detail::checked(__int128{a.hi} * b.lo), detail::checked(__int128{a.hi} * b.hi));
}

//! Floor and ceiling division are monotone in each operand once the divisor keeps one sign: the corners bound them.
inline Range floordiv(Range a, Range b)
{
    detail::checkDivisor(b, "a floor division");
    return detail::corners(plugingen::floordiv(a.lo, b.lo), plugingen::floordiv(a.lo, b.hi),
        plugingen::floordiv(a.hi, b.lo), plugingen::floordiv(a.hi, b.hi));
}

inline Range ceildiv(Range a, Range b)
{
    detail::checkDivisor(b, "a ceiling division");
    return detail::corners(plugingen::ceildiv(a.lo, b.lo), plugingen::ceildiv(a.lo, b.hi),
        plugingen::ceildiv(a.hi, b.lo), plugingen::ceildiv(a.hi, b.hi));
}

//! Python's a % b takes the divisor's sign: [0, |b| - 1] or [-(|b| - 1), 0], and within a's range when a >= 0;
//! exact for a constant b when a stays within one period of b (there a % b grows with a).
inline Range mod(Range a, Range b)
{
    detail::checkDivisor(b, "a modulo");
    if (b.lo == b.hi)
    {
        int64_t const lo = plugingen::mod(a.lo, b.lo);
        int64_t const hi = plugingen::mod(a.hi, b.lo);
        if (__int128{hi} - lo == __int128{a.hi} - a.lo)
        {
            return {lo, hi};
        }
    }
    if (b.lo > 0)
    {
        return {0, a.lo >= 0 ? std::min(a.hi, b.hi - 1) : b.hi - 1};
    }
    return {b.lo + 1, 0};
}

inline Range min(Range a, Range b)
{
    return {std::min(a.lo, b.lo), std::min(a.hi, b.hi)};
}

inline Range max(Range a, Range b)
{
    return {std::max(a.lo, b.lo), std::max(a.hi, b.hi)};
}

//! Over the box, base ** exp is extreme at base in {lo, hi, 0} and, for a fixed base, at the two smallest or the
//! two largest exponents (a negative base alternates the sign).
inline Range pow(Range base, Range exp)
{
    if (exp.lo < 0)
    {
        throw std::domain_error("cannot bound a power: the exponent's range [" + std::to_string(exp.lo) + ", "
            + std::to_string(exp.hi) + "] includes negative values");
    }
    Range result{std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
    for (int64_t const b : {base.lo, base.hi, std::clamp<int64_t>(0, base.lo, base.hi)})
    {
        for (int64_t const e : {exp.lo, exp.lo + (exp.lo < exp.hi), exp.hi - (exp.lo < exp.hi), exp.hi})
        {
            int64_t const value = plugingen::ipow(b, e);
            result = {std::min(result.lo, value), std::max(result.hi, value)};
        }
    }
    return result;
}

inline Range nextPowerOf2(Range a)
{
    if (a.hi > (int64_t{1} << 62))
    {
        throw std::overflow_error("int64 overflow in a bound"); // plugingen::nextPowerOf2 wraps to INT64_MIN
    }
    return {plugingen::nextPowerOf2(a.lo), plugingen::nextPowerOf2(a.hi)};
}

//! Truth values: [1, 1] when it always holds, [0, 0] when never, [0, 1] when it depends.
inline Range truth(bool always, bool never)
{
    return {always ? 1 : 0, never ? 0 : 1};
}

inline Range lt(Range a, Range b)
{
    return truth(a.hi < b.lo, a.lo >= b.hi);
}

inline Range le(Range a, Range b)
{
    return truth(a.hi <= b.lo, a.lo > b.hi);
}

inline Range gt(Range a, Range b)
{
    return lt(b, a);
}

inline Range ge(Range a, Range b)
{
    return le(b, a);
}

inline Range eq(Range a, Range b)
{
    return truth(a.lo == a.hi && b.lo == b.hi && a.lo == b.lo, a.hi < b.lo || b.hi < a.lo);
}

inline Range ne(Range a, Range b)
{
    Range const equal = eq(a, b);
    return {1 - equal.hi, 1 - equal.lo};
}

inline Range both(Range a, Range b)
{
    return truth(a.lo != 0 && b.lo != 0, a.hi == 0 || b.hi == 0);
}

inline Range either(Range a, Range b)
{
    return truth(a.lo != 0 || b.lo != 0, a.hi == 0 && b.hi == 0);
}

inline Range negation(Range a)
{
    return truth(a.hi == 0, a.lo != 0);
}

inline Range choose(Range condition, Range then, Range otherwise)
{
    if (condition.lo != 0)
    {
        return then;
    }
    if (condition.hi == 0)
    {
        return otherwise;
    }
    return {std::min(then.lo, otherwise.lo), std::max(then.hi, otherwise.hi)};
}
} // namespace range

} // namespace plugingen
