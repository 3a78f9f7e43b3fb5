"""layerwise on the controller: fleet compliance runs, waivers and reports.

Hosts run only the facts module and the judge (the collection layerwise.docker, which this
package carries: ansible_collections/layerwise/docker); this package reads what they send back,
applies waivers, finds drift and writes the reports.
"""
