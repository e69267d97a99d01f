#!/bin/bash
helm install vendored ./somechart -n qa
