//! \file plugingen/expr.h
//! Run-time int64 helpers used by code that plugingen/expr.py emits.
//! Division and modulo follow Python (floor) semantics; a zero divisor throws std::domain_error and an
//! INT64_MIN / -1 overflow throws std::overflow_error (the plugin catches both at the ABI boundary).
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

} // namespace plugingen
