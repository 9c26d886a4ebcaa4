package com.openfaas.function;

import com.openfaas.model.AbstractHandler;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import com.openfaas.model.Response;

public class Handler extends AbstractHandler {

    /** Greets ?name= (or the world) on any request. */
    public IResponse Handle(IRequest req) {
        String name = req.getQuery().getOrDefault("name", "world");
        Response res = new Response();
        res.setContentType("text/plain; charset=utf-8");
        res.setBody("Hello, " + name + "!");
        return res;
    }
}
