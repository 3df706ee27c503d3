package dev.weir.lab.model;

/** A transport protocol the lab's pods serve and probe. */
public enum Protocol {
    TCP, UDP
}
