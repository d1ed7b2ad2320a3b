// The one translation unit that compiles Asio (BOOST_ASIO_SEPARATE_COMPILATION) and Boost.JSON.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/json/src.hpp>
