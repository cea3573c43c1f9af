"""KPIs: metrics tracked continuously, outside cycles, with a healthy range; key results can follow one."""
