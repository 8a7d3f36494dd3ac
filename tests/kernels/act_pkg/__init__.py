"""A small kernel package in attorch's layout (kernels, heuristics and device functions in sibling modules that
import each other relatively), for plugingen's tests of kernel files inside packages. (plugingen's own code.)"""
