#!/usr/bin/env python
import os, sys
